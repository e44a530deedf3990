"""Every ``pattern`` in the shipped JSON Schemas is anchored for real.

Python's ``re.search`` (which :mod:`jsonschema` uses for ``pattern``) lets ``$`` match before
a final newline, so ``^[0-9]+$`` accepts ``"1\\n"``. Each schema pattern therefore ends in
``$(?!\\n)``: in ECMA-262 (the regex dialect JSON Schema names) the look-ahead after ``$`` is a
no-op, in Python it refuses the newline.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from aspire_models import DocumentError, Registry
from aspire_models.instrument import Instrument
from aspire_models.validation import SCHEMA_NAMES, load_schema

GUARD = "(?!\\n)"


def _patterns(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield f"{path}.pattern", value
            elif key == "patternProperties" and isinstance(value, dict):
                for regex in value:
                    yield f"{path}.patternProperties", regex
            yield from _patterns(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, f"{path}[{i}]")


PATTERNS = sorted({(f"{name}:{where}", p) for name in SCHEMA_NAMES for where, p in _patterns(load_schema(name), "$")})


def test_the_schemas_have_patterns() -> None:
    # identifiers, versions, property names, digests: if this drops, the walk is broken
    assert len(PATTERNS) >= 7
    assert any("version" in where for where, _ in PATTERNS)


@pytest.mark.parametrize(("where", "pattern"), PATTERNS, ids=[w for w, _ in PATTERNS])
def test_pattern_refuses_a_trailing_newline(where: str, pattern: str) -> None:
    base = pattern.removesuffix(GUARD)  # what the pattern means to match, without the guard
    validator = Draft202012Validator({"type": "string", "pattern": pattern})

    @settings(max_examples=40)
    @given(st.from_regex(base, fullmatch=True))
    def check(text: str) -> None:
        assert validator.is_valid(text), (where, text)
        for tail in ("\n", "\n\n", "\r\n"):
            assert not validator.is_valid(text + tail), (where, text + tail)

    check()


@pytest.mark.skipif(shutil.which("node") is None, reason="node (an ECMA-262 engine) is not installed")
def test_the_guard_is_a_no_op_in_ecma_262() -> None:
    cases = {p: [p.removesuffix(GUARD)] for _, p in PATTERNS}
    script = (
        "const cases = JSON.parse(process.argv[1]); const out = {};"
        "for (const p of Object.keys(cases)) { out[p] = new RegExp(p, 'u').source; }"
        "console.log(JSON.stringify(out));"
    )
    r = subprocess.run(["node", "-e", script, json.dumps(cases)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr  # every pattern compiles as ECMA-262 with the u flag
    probe = (
        "const [p, s] = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify([new RegExp(p, 'u').test(s), new RegExp(p, 'u').test(s + '\\n')]));"
    )
    samples = {"version": "1.0.0", "identifier": "a-b", "sha256": "0" * 64}
    for _, p in PATTERNS:
        sample = next((s for s in samples.values() if re.search(p, s)), None)
        if sample is None:
            continue
        r = subprocess.run(["node", "-e", probe, json.dumps([p, sample])], capture_output=True, text=True, timeout=60)
        assert json.loads(r.stdout) == [True, False], (p, sample)


def _sop_document() -> dict[str, Any]:
    doc = Registry(entry_points=False).instrument("aspire-sop-self-assessment").to_dict()
    assert isinstance(doc, dict)
    return doc


def test_instrument_version_with_a_newline_is_refused() -> None:
    doc = _sop_document()
    doc["version"] = "1.0.0\n"
    with pytest.raises(DocumentError) as exc:
        Instrument.from_dict(doc, source="ins.json")
    assert [p.path for p in exc.value.problems] == ["$.version"]
    doc["version"] = "1.0.0"
    doc["id"] = "aspire-sop-self-assessment\n"
    with pytest.raises(DocumentError) as exc:
        Instrument.from_dict(doc, source="ins.json")
    assert [p.path for p in exc.value.problems] == ["$.id"]


def test_validate_command_rejects_version_with_a_newline(tmp_path: Path) -> None:
    from tests.test_cli import run

    doc = _sop_document()
    doc["version"] = "1.0.0\n"
    path = tmp_path / "ins.json"
    path.write_text(json.dumps(doc))
    r = run("validate", str(path), "--no-plugins")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "$.version" in r.stderr and "pattern" in r.stderr
    doc["version"] = "1.0.0"
    path.write_text(json.dumps(doc))
    r = run("validate", str(path), "--no-plugins")
    assert r.returncode == 0, r.stderr

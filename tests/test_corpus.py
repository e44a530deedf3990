"""Every hostile file of ``tests/corpus/`` through every ``aspire`` command that takes a file.

For each file and command: the exit code is 0, 1 or 2 (never 70, an internal error), no
Python traceback is printed, the command finishes within a time bound (a hang detector, not a
benchmark), and where rows are read the accounting is exact (``input == accepted + rejected``,
every rejected row listed). Files made at test time (never committed): special files (a FIFO
with no writer, a directory, ``/dev/zero``, a sparse multi-gigabyte file, a symbolic-link
loop) and big ones (100,000-deep nesting, 100,000 unknown columns, a 10 MB line). The files
that could hang or exhaust memory run in a child process with a timeout; the rest run
in-process, under an alarm.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aspire_models.cli import main
from aspire_models.examples import example_path
from aspire_models.registry import Registry

CORPUS = Path(__file__).parent / "corpus"
SOP = "aspire-sop-self-assessment"
EXAMPLE = str(example_path("aspire-sop-responses.csv"))
#: seconds one command may take before it counts as hung (generous: a slow machine is not a hang)
HANG = 60
ACCOUNTING = re.compile(r"(\d[\d,]*) (?:rows|units), (\d[\d,]*) scored, (\d[\d,]*) rejected")


def commands(path: str, tmp: Path) -> list[tuple[str, list[str], str | None]]:
    """``(name, argv, output JSON with the accounting or None)`` of every command taking ``path``."""
    out = str(tmp / "result.json")
    return [
        ("score", ["score", "--no-plugins", "-q", "-i", SOP, path, "-o", out], out),
        ("reliability", ["reliability", "--no-plugins", "-i", SOP, path], None),
        ("benchmark", ["benchmark", "--no-plugins", "-i", SOP, path], None),
        ("norms", ["norms", "--no-plugins", "-i", SOP, path, "--id", "t", "-o", str(tmp / "norms.json")], None),
        ("diffusion", ["diffusion", "--no-plugins", path], None),
        ("report", ["report", "--no-plugins", "-q", "-i", SOP, path, "-o", str(tmp / "report.xlsx")], None),
        ("validate", ["validate", "--no-plugins", path], None),
        ("score -i FILE", ["score", "--no-plugins", "-q", "-i", path, EXAMPLE], None),
        ("benchmark --norms FILE", ["benchmark", "--no-plugins", "-i", SOP, EXAMPLE, "--norms", path], None),
        ("report --result FILE", ["report", "--no-plugins", "-q", "--result", path, "-o", str(tmp / "r.md")], None),
        ("key file", ["score", "--no-plugins", "-q", "-i", SOP, EXAMPLE, "--pseudonymise-key-file", path], None),
        ("audit", ["audit", "--no-plugins", path], None),
        ("frequencies", ["frequencies", "--no-plugins", path], None),
        ("map", ["map", "--no-plugins", "-i", SOP, path, "-o", str(tmp / "mapping.json")], None),
        ("compare", ["compare", "--no-plugins", "-i", SOP, EXAMPLE, path, "-o", str(tmp / "compare.json")], None),
    ]


@pytest.fixture(scope="module")
def builtins_registry() -> Registry:
    return Registry(entry_points=False)


@pytest.fixture(autouse=True)
def one_registry(monkeypatch: pytest.MonkeyPatch, builtins_registry: Registry) -> None:
    """Every in-process command uses one registry of the built-ins (made once: building one
    is most of the time of a command on a small file, and not what this test is about)."""
    import aspire_models.cli as cli

    monkeypatch.setattr(cli, "_registry", lambda args: builtins_registry)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


def test_the_corpus_is_big_enough() -> None:
    assert len(corpus_files()) >= 80


class HungError(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise HungError(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_in_process(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with alarm(HANG), contextlib.redirect_stderr(err):
        code = main(argv, out=out)
    return code, out.getvalue() + err.getvalue()


def check(name: str, argv: list[str], code: int, text: str, result_json: str | None) -> None:
    where = f"aspire {' '.join(argv)}"
    assert code in (0, 1, 2), f"{where}: exit {code}\n{text[-3000:]}"
    assert "Traceback" not in text, f"{where}: traceback\n{text[-3000:]}"
    assert "internal error" not in text, f"{where}: {text[-3000:]}"
    for m in ACCOUNTING.finditer(text):
        n, accepted, rejected = (int(g.replace(",", "")) for g in m.groups())
        assert n == accepted + rejected, f"{where}: accounting {m.group()}"
        if rejected:  # every command lists the rows it rejected, as `score` does
            assert f"Rejected rows ({rejected:,})" in text, f"{where}: rejected rows not listed\n{text[-3000:]}"
    if result_json and code in (0, 1) and Path(result_json).exists():
        doc = json.loads(Path(result_json).read_text(encoding="utf-8"))
        acc = doc["accounting"]
        assert acc["input"] == acc["accepted"] + acc["rejected"] == acc["accepted"] + len(doc["rejected"]), where
        Path(result_json).unlink()


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_through_every_command(path: Path, tmp_path: Path) -> None:
    for name, argv, result_json in commands(str(path), tmp_path):
        code, text = run_in_process(argv)
        check(name, argv, code, text, result_json)


# -- files made at test time -----------------------------------------------------------------
def _sop_header() -> str:
    return Path(EXAMPLE).read_text(encoding="utf-8").splitlines()[0]


def make_big(kind: str, folder: Path) -> Path:
    """A big hostile file, made in ``folder``."""
    p = folder / kind
    if kind == "deep_100000.json":
        p.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    elif kind == "deep_objects_100000.json":
        p.write_bytes(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    elif kind == "unknown_columns_100000.csv":
        lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()[:3]
        extra = ",".join(f"x{i}" for i in range(100_000))
        p.write_text(f"{lines[0]},{extra}\n{lines[1]}\n{lines[2]}\n", encoding="utf-8")
    elif kind == "long_line_10mb.csv":
        lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()[:3]
        p.write_text(f"{lines[0]}\n{lines[1]}{'x' * 10_000_000}\n{lines[2]}\n", encoding="utf-8")
    elif kind == "huge_string.json":
        p.write_bytes(b'[{"respondent_id": "' + b"x" * 5_000_000 + b'"}]')
    elif kind == "many_rows_rejected.csv":  # 3,000 rows, every one rejected: a summary, not 48,000 lines
        lines = [_sop_header()] + [f"R{i},C" + ",99" * 16 + "," * 8 for i in range(3_000)]
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "norms_huge_array.json":
        p.write_text(
            json.dumps({"id": "n", "instrument": SOP, "dimensions": {"leadership.now": list(range(20_000))}}),
            encoding="utf-8",
        )
    else:  # pragma: no cover
        raise AssertionError(kind)
    return p


BIG = [
    "deep_100000.json",
    "deep_objects_100000.json",
    "unknown_columns_100000.csv",
    "long_line_10mb.csv",
    "huge_string.json",
    "many_rows_rejected.csv",
    "norms_huge_array.json",
]


@pytest.mark.parametrize("kind", BIG)
def test_big_file_through_every_command(kind: str, tmp_path: Path) -> None:
    path = make_big(kind, tmp_path)
    for name, argv, result_json in commands(str(path), tmp_path):
        code, text = run_in_process(argv)
        check(name, argv, code, text, result_json)
        assert len(text) < 200_000, f"{name}: {len(text):,} characters of output: problems must be summarised"


def test_many_problems_are_summarised(tmp_path: Path) -> None:
    path = make_big("unknown_columns_100000.csv", tmp_path)
    code, text = run_in_process(["score", "--no-plugins", "-q", "-i", SOP, str(path)])
    assert code == 1
    assert "100,000 problems: known-column 100,000" in text or "100,000 problems" in text, text[:2000]
    assert "... and 99,980 more" in text and text.count("\n") < 40


def make_special(kind: str, folder: Path) -> str:
    """A special file (or a path to one) that must be refused without blocking or reading it."""
    if kind == "fifo":
        p = folder / "responses.csv"
        os.mkfifo(p)  # no writer: opening it for reading would block forever
        return str(p)
    if kind == "directory":
        p = folder / "responses.json"
        p.mkdir()
        return str(p)
    if kind == "dev-zero":
        return "/dev/zero"
    if kind == "dev-null":
        return "/dev/null"
    if kind == "sparse-3gb":
        p = folder / "responses.csv"
        with open(p, "wb") as fh:
            fh.write((_sop_header() + "\n").encode())
            fh.truncate(3 * 1024**3)  # sparse: no disk space used
        return str(p)
    if kind == "symlink-loop":
        p = folder / "loop.json"
        os.symlink(p, p)
        return str(p)
    if kind == "broken-symlink":
        p = folder / "gone.json"
        os.symlink(folder / "nowhere.json", p)
        return str(p)
    raise AssertionError(kind)  # pragma: no cover


SPECIAL = ["fifo", "directory", "dev-zero", "dev-null", "sparse-3gb", "symlink-loop", "broken-symlink"]
_DRIVER = """
import contextlib, io, json, sys
from aspire_models.cli import main
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv, out=out)
    print(json.dumps({"argv": argv, "code": code, "text": out.getvalue() + err.getvalue()}), flush=True)
"""


@pytest.mark.parametrize("kind", SPECIAL)
def test_special_file_through_every_command(kind: str, tmp_path: Path) -> None:
    """In a child process (a hang or memory blow-up must not take the test run with it)."""
    path = make_special(kind, tmp_path)
    cmds = commands(path, tmp_path)
    argvs = [argv for _, argv, _ in cmds]
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _DRIVER, json.dumps(argvs)],
            capture_output=True,
            text=True,
            timeout=HANG * 2,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"{kind}: hung after {done.count(chr(10))} of {len(argvs)} commands")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    runs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(runs) == len(cmds)
    for (name, argv, result_json), run in zip(cmds, runs, strict=True):
        check(name, argv, run["code"], run["text"], result_json)
        assert run["code"] != 0, f"{kind} accepted by {name}: {run['text'][:500]}"

"""The reader layer's folder tree is the path data takes: one module per source format, the
answer codec, the one validation step, and the model (:mod:`aspire_models.responses`). The
readers still import from :mod:`aspire_models.responses`, loaded when first asked for."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

from aspire_models import responses

#: public name -> the module that defines it now
HOMES = {
    "read_csv": "aspire_models.formats.csv",
    "read_records": "aspire_models.formats.records",
    "read_frame": "aspire_models.formats.arrow",
    "read_arrow": "aspire_models.formats.arrow",
    "validate_table": "aspire_models.formats.validate",
    "missing_answer_columns": "aspire_models.formats.validate",
    "MissingColumns": "aspire_models.formats.validate",
}
#: private helpers and where they live (each step in its own module)
PRIVATE_HOMES = {
    "_read_plain": "aspire_models.formats.csv",
    "_cr_lines": "aspire_models.formats.csv",
    "_utf8": "aspire_models.formats.csv",
    "_with_ragged": "aspire_models.formats.csv",
    "_strict_cell": "aspire_models.formats.records",
    "_frame_columns": "aspire_models.formats.arrow",
    "_Answers": "aspire_models.formats.codec",
    "_parse_text": "aspire_models.formats.codec",
    "_convert_answers": "aspire_models.formats.codec",
    "_codes": "aspire_models.formats.codec",
    "_check_header": "aspire_models.formats.validate",
    "_validate": "aspire_models.formats.validate",
    "_table_digest": "aspire_models.formats.validate",
}
MODEL = ("AnswerMatrix", "Codes", "Rejection", "ResponseSet", "TextColumns")


@pytest.mark.parametrize("name", sorted(HOMES))
def test_a_reader_is_defined_in_its_home_and_still_imports_from_responses(name: str) -> None:
    home = importlib.import_module(HOMES[name])
    obj = getattr(home, name)
    assert obj.__module__ == HOMES[name]
    assert name in home.__all__
    assert name not in vars(responses)  # not defined (nor kept) in responses.py
    assert getattr(responses, name) is obj  # the old import still works
    namespace: dict[str, object] = {}
    exec(f"from aspire_models.responses import {name} as got", namespace)
    assert namespace["got"] is obj


@pytest.mark.parametrize("name", sorted(PRIVATE_HOMES))
def test_each_step_lives_in_one_module(name: str) -> None:
    assert hasattr(importlib.import_module(PRIVATE_HOMES[name]), name)
    assert name not in vars(responses)
    with pytest.raises(AttributeError, match=name):
        getattr(responses, name)


def test_responses_holds_the_model_only() -> None:
    assert set(MODEL) <= set(responses.__all__)
    assert not set(HOMES) & set(responses.__all__)  # the readers are documented in their homes
    for name in responses.__all__:
        assert getattr(responses, name).__module__ == "aspire_models.responses"
    with pytest.raises(AttributeError, match="no attribute 'read_xml'"):
        responses.read_xml  # noqa: B018
    assert importlib.util.find_spec("aspire_models._csvsplit") is None
    assert importlib.util.find_spec("aspire_models.formats._csvsplit") is not None


def test_the_model_loads_no_reader() -> None:
    """Importing the model does not import the reader layer or Arrow's CSV reader (the
    readers are loaded when first asked for, without an import cycle)."""
    code = (
        "import sys, aspire_models.responses as r\n"
        "print(sorted(m for m in sys.modules if m.startswith('aspire_models.formats') or m == 'pyarrow.csv'))\n"
        "r.read_csv\n"
        "print('aspire_models.formats.csv' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"

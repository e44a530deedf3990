"""Safe reading and writing (aspire_models.safeio) and the command line's handling of what goes
wrong: named refusals, bounded reads, atomic outputs, exit codes, one printer of rejections."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from pathlib import Path

import attrs
import pytest

from aspire_models import Registry
from aspire_models.cli import EXIT_BUG, main
from aspire_models.engine import load_responses
from aspire_models.errors import InputFileError, OutputFileError, Problem
from aspire_models.examples import example_path
from aspire_models.formats.csv import _cr_lines, read_csv
from aspire_models.limits import Limits
from aspire_models.rejections import problem_lines, safe_text
from aspire_models.safeio import atomic_write, check_output_path, load_json, read_input_bytes

EXAMPLE = example_path("aspire-sop-responses.csv")


@pytest.fixture(scope="module")
def sop():  # type: ignore[no-untyped-def]
    return Registry(entry_points=False).instrument("aspire-sop-self-assessment")


def rule_of(exc: pytest.ExceptionInfo[InputFileError]) -> str:
    return exc.value.problems[0].rule


# -- reading -----------------------------------------------------------------------------------
def test_special_files_are_refused_by_name_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # no writer: an open() for reading would block
    for path, kind in ((fifo, "named pipe"), (tmp_path, "directory"), (Path("/dev/zero"), "character device")):
        with pytest.raises(InputFileError) as exc:
            read_input_bytes(path, what="response file")
        assert rule_of(exc) == "regular-file" and kind in str(exc.value) and "response file" in str(exc.value)


def test_missing_file_and_stdin_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputFileError) as exc:
        read_input_bytes(tmp_path / "nope.json")
    assert rule_of(exc) == "file-exists"
    with pytest.raises(InputFileError):
        read_input_bytes("-")  # not standard input unless asked
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"[1, 2]")))
    assert load_json("-", allow_stdin=True) == [1, 2]


def test_size_is_checked_before_reading_and_the_read_is_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(3 * 1024**3)  # sparse 3 GB: refused from its size, never read
    with pytest.raises(InputFileError) as exc:
        load_json(big, what="instrument file")
    assert rule_of(exc) == "max-file-bytes" and "3,221,225,472 bytes" in str(exc.value)
    small = tmp_path / "small.json"
    small.write_bytes(b"[" + b"1," * 100 + b"1]")
    with pytest.raises(InputFileError) as exc:
        load_json(small, limits=Limits(max_document_bytes=50))
    assert "max_document_bytes" in str(exc.value)
    assert read_input_bytes(small, max_bytes=small.stat().st_size) == small.read_bytes()


def _json_error(tmp_path: Path, data: bytes) -> Problem:
    p = tmp_path / "doc.json"
    p.write_bytes(data)
    with pytest.raises(InputFileError) as exc:
        load_json(p)
    return exc.value.problems[0]


def test_json_depth_is_checked_before_parsing(tmp_path: Path) -> None:
    assert _json_error(tmp_path, b"[" * 100_000 + b"]" * 100_000).rule == "max-json-depth"
    assert _json_error(tmp_path, b'{"a":' * 100_000 + b"1" + b"}" * 100_000).rule == "max-json-depth"
    p = tmp_path / "ok.json"
    p.write_text(json.dumps({"text": "[" * 1000 + "{" * 1000 + '\\"['}), encoding="utf-8")  # brackets in a string
    assert load_json(p)["text"].startswith("[[[")
    p.write_bytes(b"[" * 32 + b"]" * 32)
    assert load_json(p) is not None and _json_error(tmp_path, b"[" * 33 + b"]" * 33).rule == "max-json-depth"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"[" + b"9" * 5000 + b"]", "5,000 characters long"),
        (b'{"a": 1e999}', "too large"),
        (b"[NaN]", "not standard JSON"),
        (b"[-Infinity]", "not standard JSON"),
    ],
)
def test_json_numbers(tmp_path: Path, data: bytes, words: str) -> None:
    p = _json_error(tmp_path, data)
    assert p.rule == "json-number" and words in p.message and "line 1 column" in p.message


def test_json_text_errors_name_the_place(tmp_path: Path) -> None:
    p = _json_error(tmp_path, b'{"a":\n "caf\xe9"}')
    assert p.rule == "encoding" and "0xe9" in p.message and "line 2 column 6" in p.message
    assert "UTF-16" in _json_error(tmp_path, '{"a": 1}'.encode("utf-16")).message
    p = _json_error(tmp_path, b'{"a": [1, 2,]}')
    assert p.rule == "json" and "line 1" in p.message
    p = _json_error(tmp_path, b'{"items": [{"text": "ok"}, {"text": "bad \\ud800"}]}')
    assert p.rule == "unicode" and p.path == "$.items[1].text"
    ok = tmp_path / "pair.json"
    ok.write_bytes(b'\xef\xbb\xbf["\\ud83d\\ude00"]')  # a BOM and a surrogate pair are fine
    assert load_json(ok) == ["\U0001f600"]


def test_a_lone_surrogate_rejects_its_record_only(tmp_path: Path, sop) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "records.json"
    p.write_text(
        '[{"respondent_id": "A", "organisation": "C", "leadership.now": 5},'
        ' {"respondent_id": "B\\udc00", "organisation": "C", "leadership.now": 6},'
        ' {"respondent_id": "C", "organisation": "C", "leadership.now": 7}]',
        encoding="utf-8",
    )
    rs = load_responses(sop, p, allow_missing_items=True)
    assert (rs.n_input, rs.n_accepted, rs.n_rejected) == (3, 2, 1)
    [rej] = rs.rejected
    assert rej.row == 2 and rej.problems[-1].rule == "unicode" and rej.problems[-1].path == "$[1].respondent_id"


# -- CSV line endings ----------------------------------------------------------------------------
def test_cr_only_line_endings_read_as_lf(tmp_path: Path, sop) -> None:  # type: ignore[no-untyped-def]
    data = EXAMPLE.read_bytes()
    for name, text in (("cr.csv", data.replace(b"\n", b"\r")), ("crlf.csv", data.replace(b"\n", b"\r\n"))):
        (tmp_path / name).write_bytes(text)
        a, b = read_csv(EXAMPLE, sop), read_csv(tmp_path / name, sop)
        assert (b.n_input, b.n_accepted) == (a.n_input, a.n_accepted) == (14, 14)
        assert list(b.text["leadership-worked"]) == list(a.text["leadership-worked"])
    assert _cr_lines(data) is data  # an LF file is not copied
    assert _cr_lines(b"a,b\r\n1,2\r\n") == b"a,b\r\n1,2\r\n"
    assert _cr_lines(b"a,b\r1,2\r") == b"a,b\n1,2\n"


# -- writing -------------------------------------------------------------------------------------
def test_output_paths_are_checked_before_work(tmp_path: Path) -> None:
    for bad, words in ((tmp_path, "is a directory"), (tmp_path / "no" / "x.json", "does not exist")):
        with pytest.raises(OutputFileError, match=words):
            check_output_path(bad)
    check_output_path(tmp_path / "new.json")
    check_output_path("/dev/null")


def test_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "result.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    atomic_write(target, "new \ud800")  # a lone surrogate is written as its escape, not lost
    assert target.read_text(encoding="utf-8") == "new \\ud800"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OutputFileError, match="no space left on device"):
        atomic_write(target, b"x" * 10_000)
    assert target.read_text(encoding="utf-8") == "new \\ud800"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]  # no temporary file left


def test_device_outputs(tmp_path: Path) -> None:
    atomic_write("/dev/null", "anything")
    if Path("/dev/full").exists():
        with pytest.raises(OutputFileError, match="no space left"):
            atomic_write("/dev/full", "x" * 100_000)


def test_excel_escapes_control_characters(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    from openpyxl import load_workbook

    from aspire_models import score
    from aspire_models.reports import write_report

    doc = json.loads(score(Registry(entry_points=False), "aspire-sop-self-assessment", EXAMPLE).to_json())
    rows = next(o for o in doc["outputs"] if o["scorer"] == "gap-priority")["tables"]["priorities"]["rows"]
    rows[0][7] = "bell\x07 escape\x1b[31m nul\x00 end"  # openpyxl refuses these characters
    out = tmp_path / "r.xlsx"
    write_report(doc, out, format="xlsx")
    wb = load_workbook(out)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert "bell\\x07 escape\\x1b[31m nul\\x00 end" in cells
    assert any(c.startswith("1 text value(s) held characters a workbook cannot hold") for c in cells)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


# -- the command line ----------------------------------------------------------------------------
def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv, out=out)
    return code, out.getvalue() + err.getvalue()


def test_an_unexpected_exception_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    import aspire_models.cli as cli

    def broken(args: object, out: object) -> int:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(cli, "cmd_frameworks", broken)
    code, text = run(["frameworks", "--no-plugins"])
    assert code == EXIT_BUG == 70
    assert "Traceback" not in text and text.count("\n") == 1
    assert "internal error" in text and "something nobody expected" in text and "SECURITY.md" in text
    for argv in (["--debug", "frameworks", "--no-plugins"], ["frameworks", "--no-plugins", "--debug"]):
        code, text = run(argv)
        assert code == 70 and "Traceback" in text and "RuntimeError" in text


def test_output_problems_before_work_and_after(tmp_path: Path) -> None:
    base = ["score", "--no-plugins", "-q", "-i", "aspire-sop-self-assessment", str(EXAMPLE)]
    code, text = run([*base, "-o", str(tmp_path)])
    assert code == 2 and "is a directory" in text
    code, text = run([*base, "-o", str(tmp_path / "missing" / "r.json")])
    assert code == 2 and "does not exist" in text
    if Path("/dev/full").exists():
        code, text = run([*base, "-o", "/dev/full"])
        assert code == 1 and "no space left" in text


def test_key_file_and_documents_are_read_safely(tmp_path: Path) -> None:
    base = ["score", "--no-plugins", "-q", "-i", "aspire-sop-self-assessment", str(EXAMPLE)]
    code, text = run([*base, "--pseudonymise-key-file", str(tmp_path)])
    assert code == 1 and "pseudonymisation key file is a directory" in text
    code, text = run([*base, "--pseudonymise-key-file", "/dev/zero"])
    assert code == 1 and "character device" in text
    deep = tmp_path / "ins.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    for argv in (["validate", str(deep)], ["score", "-q", "-i", str(deep), str(EXAMPLE)]):
        code, text = run([*argv, "--no-plugins"])
        assert code == 1 and "max-json-depth" in text and "Traceback" not in text


def test_report_exits_1_when_a_scorer_failed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import aspire_models.progress as progress
    from aspire_models.result import ScorerFailure

    real = progress.score_with_progress

    def failing(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        return attrs.evolve(result, failures=(ScorerFailure("reliability", "someone", "it broke"),))

    monkeypatch.setattr(progress, "score_with_progress", failing)
    argv = ["report", "--no-plugins", "-q", "-i", "aspire-sop-self-assessment", str(EXAMPLE)]
    code, text = run([*argv, "-o", str(tmp_path / "r.md")])
    assert code == 1 and "scorer 'reliability' (plugin 'someone') failed: it broke" in text


def test_diffusion_lists_the_rows_it_rejected(tmp_path: Path) -> None:
    lines = example_path("innovation-adoption.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].split(",", 1)[0] + ",Council 03,not-a-year,2015,2013,2013,2017"
    p = tmp_path / "adoption.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, text = run(["diffusion", "--no-plugins", str(p)])
    assert code == 0, text
    assert "1 rejected" in text and "Rejected rows (1):" in text and "row 3" in text


def test_long_problem_lists_are_summarised_and_terminal_safe() -> None:
    problems = [Problem("known-column", f"unknown column \x1b[31mc{i}", file="f.csv") for i in range(100_000)]
    problems.append(Problem("unique-column", "twice", file="f.csv"))
    lines = problem_lines(problems)
    assert len(lines) == 22
    assert lines[0] == "100,001 problems: known-column 100,000, unique-column 1"
    assert lines[-1] == "... and 99,981 more"
    assert "\x1b" not in "".join(lines) and "\\x1b[31m" in lines[1]
    assert safe_text("a\u202eb\ud800") == "a\\u202eb\\ud800"

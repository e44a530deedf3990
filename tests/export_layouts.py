"""Writers of survey-platform export layouts, used to build the fixture exports in
``tests/fixtures/exports/`` (``python -m tests.export_layouts``) and by the round-trip
property test. Each layout follows the platform's documented export format (see the
README in the fixtures folder); respondents are given as plain records:

    {"respondent_id": ..., "organisation": ..., "rater_role": ..., "subject_id": ...,
     "team": ..., <numeric column>: int | None, <multi-select column>: [option ids],
     <open question>: str | None}
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aspire_models.instrument import Instrument, MultiSelectScale, NumericScale

Record = Mapping[str, Any]
FIXTURES = Path(__file__).parent / "fixtures" / "exports"

#: open questions of the Aspire self-assessment the SOP layouts carry
SOP_TEXT = ("alignment-worked", "hr-tools-other")
#: Google Forms option label that differs from the instrument's (and holds a comma)
GOOGLE_LABELS = {"performance-and-reward": "Pay, performance and reward"}
#: LimeSurvey answer codes of the rater relationship question
LIME_ROLES = {"self": "SELF", "line-manager": "LM", "peer": "PEER", "direct-report": "DR", "stakeholder": "STAKE"}
COUNCIL_Q = "Which council do you work for?"
SUBJECT_Q = "Which HR business partner are you reviewing? (their code)"
ROLE_Q = "What is your relationship to the HR business partner?"
TEAM_Q = "Which team is the HR business partner in?"


def _csv(rows: Sequence[Sequence[Any]], *, delimiter: str = ",", newline: str = "\r\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def _label(ins: Instrument, column: str, value: Any) -> str:
    """An answer as the respondent chose it: the scale's label, or the number."""
    if value is None:
        return ""
    col = next(c for c in ins.columns() if c.name == column)
    scale = ins.scale(col.scale or "")
    assert isinstance(scale, NumericScale)
    labels = dict(scale.anchors)
    return labels.get(value, str(value))


def _options(ins: Instrument, column: str) -> MultiSelectScale:
    col = next(c for c in ins.columns() if c.name == column)
    scale = ins.scale(col.scale or "")
    assert isinstance(scale, MultiSelectScale)
    return scale


def _item_text(ins: Instrument, column: str) -> str:
    col = next(c for c in ins.columns() if c.name == column)
    for q in ins.open_questions:
        if q.id == col.item:
            return q.text
    return ins.item(col.item).text


def _mode_label(ins: Instrument, mode: str | None) -> str:
    return next(m.label for m in ins.modes if m.id == mode)


def _numeric(ins: Instrument) -> list[Any]:
    return [c for c in ins.columns() if c.kind == "numeric"]


def _multi(ins: Instrument) -> list[Any]:
    return [c for c in ins.columns() if c.kind == "multi-select"]


# -- Aspire self-assessment (now/future 1-10, HR tools multi-selects) -------------------------
def surveymonkey(ins: Instrument, records: Sequence[Record]) -> bytes:
    """SurveyMonkey: two header rows, one column per option with 'Other (please specify)',
    Windows-1252 text with CR-only line endings (as older exports are)."""
    top: list[str] = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        COUNCIL_Q,
    ]
    second: list[str] = [""] * 9 + ["Response"]
    cells: list[Callable[[Record], Any]] = [
        lambda r: r["respondent_id"],
        lambda r: "405012345",
        lambda r: "03/14/2025 09:12:01 AM",
        lambda r: "03/14/2025 09:31:45 AM",
        lambda r: "",
        lambda r: "",
        lambda r: "",
        lambda r: "",
        lambda r: "",
        lambda r: r.get("organisation"),
    ]
    seen_items: list[str] = []
    for c in _numeric(ins):
        if c.item not in seen_items:
            seen_items.append(c.item)
    for item in seen_items:
        first = True
        for c in _numeric(ins):
            if c.item != item:
                continue
            top.append(ins.item(item).text if first else "")
            second.append(_mode_label(ins, c.mode))
            cells.append(lambda r, name=c.name: r.get(name))
            first = False
    for c in _multi(ins):
        scale = _options(ins, c.name)
        for k, opt in enumerate(scale.options):
            top.append(ins.item(c.item).text if k == 0 else "")
            second.append(opt.label)
            cells.append(lambda r, name=c.name, o=opt: o.label if o.id in (r.get(name) or ()) else "")
        top.append("")
        second.append("Other (please specify)")
        cells.append(lambda r: "")
    for q in SOP_TEXT:
        top.append(_item_text(ins, q))
        second.append("Open-Ended Response")
        cells.append(lambda r, name=q: r.get(name))
    rows = [top, second, *([f(r) for f in cells] for r in records)]
    return _csv(rows, newline="\r").encode("cp1252")


def qualtrics_legacy(ins: Instrument, records: Sequence[Record]) -> bytes:
    """Qualtrics legacy export: 'V1...' names over a row of question text, recode values,
    multiple answers one column per choice ('1' when chosen), a repeated name."""
    names = [f"V{i}" for i in range(1, 11)]
    texts = [
        "ResponseID",
        "ResponseSet",
        "Name",
        "ExternalDataReference",
        "EmailAddress",
        "IPAddress",
        "Status",
        "StartDate",
        "EndDate",
        "Finished",
    ]
    cells: list[Callable[[Record], Any]] = [
        lambda r: r["respondent_id"],
        lambda r: "Default Response Set",
        lambda r: "Anonymous",
        lambda r: "",
        lambda r: "",
        lambda r: "",
        lambda r: "0",
        lambda r: "2016-05-03 10:01:00",
        lambda r: "2016-05-03 10:20:00",
        lambda r: "1",
    ]
    names.append("Q10")  # the council question: its name repeats below (as legacy exports can)
    texts.append(COUNCIL_Q)
    cells.append(lambda r: r.get("organisation"))
    for n, c in enumerate(_numeric(ins), start=1):
        names.append(f"Q2_{n}")
        texts.append(f"{ins.item(c.item).text}-{_mode_label(ins, c.mode)}")
        cells.append(lambda r, name=c.name: r.get(name))
    for q_n, c in enumerate(_multi(ins), start=3):
        scale = _options(ins, c.name)
        for k, opt in enumerate(scale.options, start=1):
            names.append(f"Q{q_n}_{k}")
            texts.append(f"{ins.item(c.item).text}-{opt.label}")
            cells.append(lambda r, name=c.name, o=opt: "1" if o.id in (r.get(name) or ()) else "")
    for q in SOP_TEXT:
        names.append("Q10" if q == "hr-tools-other" else "Q9")
        texts.append(_item_text(ins, q))
        cells.append(lambda r, name=q: r.get(name))
    rows = [names, texts, *([f(r) for f in cells] for r in records)]
    return _csv(rows).encode("utf-8")


def googleforms(ins: Instrument, records: Sequence[Record]) -> bytes:
    """Google Forms: Timestamp, Email Address, question text; grids as 'Question [Row]';
    checkboxes joined by ', ' with one label holding a comma."""
    top = ["Timestamp", "Email Address", COUNCIL_Q]
    cells: list[Callable[[Record], Any]] = [
        lambda r: "2025/03/14 9:12:01 AM GMT",
        lambda r: r["respondent_id"],
        lambda r: r.get("organisation"),
    ]
    for c in _numeric(ins):
        top.append(f"{ins.item(c.item).text} [{_mode_label(ins, c.mode)}]")
        cells.append(lambda r, name=c.name: r.get(name))
    for c in _multi(ins):
        scale = _options(ins, c.name)
        top.append(ins.item(c.item).text)

        def joined(r: Record, name: str = c.name, scale: MultiSelectScale = scale) -> str:
            chosen = r.get(name) or ()
            return ", ".join(GOOGLE_LABELS.get(o.id, o.label) for o in scale.options if o.id in chosen)

        cells.append(joined)
    for q in SOP_TEXT:
        top.append(_item_text(ins, q))
        cells.append(lambda r, name=q: r.get(name))
    rows = [top, *([f(r) for f in cells] for r in records)]
    return _csv(rows).encode("utf-8")


def msforms(ins: Instrument, records: Sequence[Record]) -> bytes:
    """Microsoft Forms workbook: ID, Start time, Completion time, Email, Name, quiz columns
    'Points - ...' and 'Feedback - ...', multiple answers as 'A;B;'. Ratings are numbers,
    a few stored as text; times are Excel dates."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Total points", "Quiz feedback", COUNCIL_Q]
    header += [f"Points - {COUNCIL_Q}", f"Feedback - {COUNCIL_Q}"]
    numeric = _numeric(ins)
    for c in numeric:
        header.append(f"{ins.item(c.item).text}.{_mode_label(ins, c.mode)}")
    for c in _multi(ins):
        header.append(ins.item(c.item).text)
    for q in SOP_TEXT:
        header.append(_item_text(ins, q))
    ws.append(header)
    for n, r in enumerate(records):
        row: list[Any] = [
            r["respondent_id"],
            dt.datetime(2025, 3, 14, 9, 12) + dt.timedelta(minutes=n),
            dt.datetime(2025, 3, 14, 9, 30) + dt.timedelta(minutes=n),
            "anonymous",
            "",
            None,
            None,
            r.get("organisation"),
            None,
            None,
        ]
        for k, c in enumerate(numeric):
            v = r.get(c.name)
            row.append(None if v is None else (str(v) if (n + k) % 7 == 0 else v))  # some numbers as text
        for c in _multi(ins):
            scale = _options(ins, c.name)
            chosen = r.get(c.name) or ()
            row.append("".join(f"{o.label};" for o in scale.options if o.id in chosen) or None)
        for q in SOP_TEXT:
            row.append(r.get(q))
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- HRBP 360 review (agreement 1-5 with labels, rater roles) ---------------------------------
def qualtrics(ins: Instrument, records: Sequence[Record]) -> bytes:
    """Qualtrics: three header rows (names, question text, ImportId), choice text answers."""
    meta = [
        ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"Europe/London"}'),
        ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"Europe/London"}'),
        ("Status", "Response Type", '{"ImportId":"status"}'),
        ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
        ("Progress", "Progress", '{"ImportId":"progress"}'),
        ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
        ("Finished", "Finished", '{"ImportId":"finished"}'),
        ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"Europe/London"}'),
        ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
        ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
        ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
    ]
    values: list[Callable[[Record], Any]] = [
        lambda r: "2025-03-14 09:12:01",
        lambda r: "2025-03-14 09:31:45",
        lambda r: "IP Address",
        lambda r: "",
        lambda r: "100",
        lambda r: "1184",
        lambda r: "True",
        lambda r: "2025-03-14 09:31:46",
        lambda r: r["respondent_id"],
        lambda r: "anonymous",
        lambda r: "EN-GB",
    ]
    names = [m[0] for m in meta]
    texts = [m[1] for m in meta]
    ids = [m[2] for m in meta]
    role_label = {r.id: r.label for r in ins.rater_roles}
    for name, text, qid, f in (
        ("Q1", SUBJECT_Q, "QID1_TEXT", lambda r: r.get("subject_id")),
        ("Q2", ROLE_Q, "QID2", lambda r: role_label.get(r.get("rater_role") or "", "")),
        ("Q3", TEAM_Q, "QID3_TEXT", lambda r: r.get("team")),
    ):
        names.append(name)
        texts.append(text)
        ids.append(json.dumps({"ImportId": qid}, separators=(",", ":")))
        values.append(f)
    for n, c in enumerate(_numeric(ins), start=1):
        names.append(f"Q4_{n}")
        texts.append(f"How far do you agree with each statement? - {ins.item(c.item).text}")
        ids.append(json.dumps({"ImportId": f"QID4_{n}"}, separators=(",", ":")))
        values.append(lambda r, name=c.name: _label(ins, name, r.get(name)) or r.get(f"{name}:label") or "")
    for k, q in enumerate(ins.open_questions, start=5):
        names.append(f"Q{k}")
        texts.append(q.text)
        ids.append(json.dumps({"ImportId": f"QID{k}_TEXT"}, separators=(",", ":")))
        values.append(lambda r, name=q.id: r.get(name))
    rows = [names, texts, ids, *([f(r) for f in values] for r in records)]
    return _csv(rows).encode("utf-8-sig")


def limesurvey(ins: Instrument, records: Sequence[Record]) -> bytes:
    """LimeSurvey: 'code. text' headings with HTML entities and non-breaking spaces, answer
    codes (A1..A5, role codes, -oth- with the typed text in [other])."""

    def html(text: str) -> str:
        return text.replace("'", "&#039;").replace(" business partner", " business&nbsp;partner", 1)

    heads = [
        "id. Response ID",
        "submitdate. Date submitted",
        "lastpage. Last page",
        "startlanguage. Start language",
        "seed. Seed",
        f"SUBJ. {html(SUBJECT_Q)}",
        f"REL. {html(ROLE_Q)}",
        f"REL[other]. {html(ROLE_Q)} [Other]",
        f"TEAM. {html(TEAM_Q)}",
    ]
    values: list[Callable[[Record], Any]] = [
        lambda r: r["respondent_id"],
        lambda r: "2025-03-14 09:31:45",
        lambda r: "3",
        lambda r: "en",
        lambda r: "1406318745",
        lambda r: r.get("subject_id"),
        lambda r: LIME_ROLES.get(r.get("rater_role") or "", r.get("rater_role:code") or ""),
        lambda r: r.get("rater_role:other"),
        lambda r: r.get("team"),
    ]
    for n, c in enumerate(_numeric(ins), start=1):
        heads.append(f"DT[SQ{n:03d}]. How far do you agree? [{html(ins.item(c.item).text)}]")
        values.append(lambda r, name=c.name: "" if r.get(name) is None else f"A{r[name]}")
    for k, q in enumerate(ins.open_questions, start=1):
        heads.append(f"OPEN{k}. {html(q.text)}")
        values.append(lambda r, name=q.id: r.get(name))
    rows = [heads, *([f(r) for f in values] for r in records)]
    return _csv(rows).encode("utf-8")


LAYOUTS: dict[str, tuple[str, str, Callable[[Instrument, Sequence[Record]], bytes]]] = {
    # name: (instrument, file name, writer)
    "surveymonkey": ("aspire-sop-self-assessment", "surveymonkey-aspire-sop.csv", surveymonkey),
    "qualtrics-legacy": ("aspire-sop-self-assessment", "qualtrics-legacy-aspire-sop.csv", qualtrics_legacy),
    "googleforms": ("aspire-sop-self-assessment", "googleforms-aspire-sop.csv", googleforms),
    "msforms": ("aspire-sop-self-assessment", "msforms-aspire-sop.xlsx", msforms),
    "qualtrics": ("hrbp360-review", "qualtrics-hrbp360.csv", qualtrics),
    "limesurvey": ("hrbp360-review", "limesurvey-hrbp360.csv", limesurvey),
}


# -- the fixtures' respondents -----------------------------------------------------------------
COUNCILS = ("Northshire County Council", "Riverside Borough Council", "Sainté Vale District Council")


def fixture_records(ins: Instrument) -> list[dict[str, Any]]:
    """The respondents of a fixture export (deterministic). Each fixture holds one row that
    must be rejected (a blank council; a blank subject; a rater relationship coded -oth-),
    and a few "Don't know" answers (missing)."""
    import random

    rng = random.Random(20250314 + len(ins.id))
    out: list[dict[str, Any]] = []
    if ins.design == "review-360":
        roles = list(LIME_ROLES)
        for n in range(14):
            r: dict[str, Any] = {
                "respondent_id": f"R_{n + 1:04d}x",
                "subject_id": f"HRBP-0{1 + n % 3}",
                "rater_role": roles[n % len(roles)],
                "team": ("Adults and health", "Children's services", "Place")[n % 3],
            }
            for c in _numeric(ins):
                r[c.name] = rng.randint(1, 5) if rng.random() > 0.08 else None
            r["strengths"] = "Clear, practical advice" if n % 4 == 0 else None
            r["development"] = 'Say "no" sooner' if n % 5 == 1 else None
            out.append(r)
        out[4]["subject_id"] = None  # a rater who left out whom they reviewed: rejected
        return out
    for n in range(12):
        r = {"respondent_id": f"resp-{n + 1:03d}@example.org", "organisation": COUNCILS[n % 3]}
        for c in _numeric(ins):
            low = 3 if c.mode == "now" else 6
            r[c.name] = rng.randint(low, low + 4) if rng.random() > 0.05 else None
        for c in _multi(ins):
            opts = _options(ins, c.name).option_ids
            r[c.name] = sorted(rng.sample(opts, rng.randint(0, 3)), key=opts.index)
        r["alignment-worked"] = "Joint workshops, and a shared plan" if n % 3 == 0 else None
        r["hr-tools-other"] = "Job evaluation" if n % 4 == 1 else None
        out.append(r)
    out[7]["organisation"] = None  # a respondent who did not say which council: rejected
    return out


def dont_know(records: list[dict[str, Any]], ins: Instrument) -> list[dict[str, Any]]:
    """The records with a few blank answers given as "Don't know" (as the export shows them)."""
    out = [dict(r) for r in records]
    cols = [c.name for c in _numeric(ins)]
    for n, r in enumerate(out):
        if n % 3 == 1:
            name = cols[(5 * n) % len(cols)]
            r[name] = None
            r[f"{name}:label"] = "Don't know"
    return out


def write_fixtures() -> None:  # pragma: no cover - run by hand: python -m tests.export_layouts
    from aspire_models import Registry

    reg = Registry(entry_points=False)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, (iid, filename, writer) in LAYOUTS.items():
        ins = reg.instrument(iid)
        records = fixture_records(ins)
        if name == "qualtrics":
            records = dont_know(records, ins)
        if name == "limesurvey":
            records[9] = {
                **records[9],
                "rater_role": None,
                "rater_role:code": "-oth-",
                "rater_role:other": "HR director",
            }
        (FIXTURES / filename).write_bytes(writer(ins, records))
        print(f"wrote {FIXTURES / filename}")


if __name__ == "__main__":  # pragma: no cover
    write_fixtures()

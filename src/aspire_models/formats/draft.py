"""Drafting a mapping document from an export: question text matched to item text
(rapidfuzz), the platform's own columns set aside, answer labels checked against the
instrument's scale labels. The draft is for a person to check: every match is reported as
matched, uncertain or unmatched, and nothing the draft could not match is written as if it
had been (such answers reject their rows until the mapping says what they mean).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from aspire_models.formats.base import Provenance, SourceColumn
from aspire_models.formats.layout import norm
from aspire_models.formats.mapping import Mapping
from aspire_models.instrument import Column, Instrument, MultiSelectScale, NumericScale

__all__ = ["Draft", "Match", "draft_mapping"]

#: scores (0-100) from which a match is taken as certain, or offered as uncertain
SURE, UNSURE = 90.0, 75.0
#: answer labels that usually mean "no answer", and the reason written for them
_MISSING = {
    "don't know": "don't know",
    "dont know": "don't know",
    "do not know": "don't know",
    "not applicable": "not applicable",
    "n/a": "not applicable",
    "na": "not applicable",
    "prefer not to say": "prefer not to say",
    "no opinion": "no opinion",
    "unable to comment": "unable to comment",
    "can't say": "don't know",
}
#: words in a question that point to a meta column
_META = {
    "organisation": ("organisation", "organization", "council", "employer", "authority", "which organisation"),
    "team": ("team", "department", "directorate", "service area"),
    "rater_role": ("relationship", "rater", "your role", "capacity", "how do you work with"),
    "subject_id": ("reviewing", "subject", "person you are rating", "who are you rating", "business partner code"),
}
_CODE = re.compile(r"^[A-Za-z]{1,3}0*(\d{1,3})$")
_LEADING = re.compile(r"^\s*(\d{1,3})\s*(?:[-=:.)]|\(|$)")


@attrs.frozen
class Match:
    """One source column matched (or not) to an instrument column or meta column."""

    column: str
    target: str | None
    score: float
    status: str  # matched, uncertain, unmatched, ignored
    note: str = ""


@attrs.frozen
class Draft:
    mapping: Mapping
    matches: tuple[Match, ...]
    unmatched_items: tuple[str, ...]
    label_notes: tuple[str, ...]

    @property
    def matched(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.status == "matched")

    @property
    def uncertain(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.status == "uncertain")

    @property
    def unmatched(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.status == "unmatched")


def _selector(col: SourceColumn, columns: Sequence[SourceColumn]) -> dict[str, str]:
    """The steadiest way to name a column: the platform's id, else its header if unique,
    else its question text."""
    if col.platform_id and sum(c.platform_id == col.platform_id for c in columns) == 1:
        return {"id": col.platform_id}
    if sum(c.header == col.header for c in columns) == 1:
        return {"header": col.header}
    return {"text": col.question}


def _score(a: str, b: str) -> float:
    """How alike two questions are, 0-100: the better of the whole-text ratio and the
    token-set ratio (a question that holds every word of an item's text, e.g. a matrix
    question's statement after its stem, scores 100). Partial matches of a short text
    inside a long one are not used: they pair "Which council do you work for?" with any
    item mentioning "your council"."""
    from rapidfuzz import fuzz, utils

    return float(
        max(
            fuzz.ratio(a, b, processor=utils.default_process),
            fuzz.token_set_ratio(a, b, processor=utils.default_process),
        )
    )


def _mode_of(col: SourceColumn, instrument: Instrument) -> tuple[str | None, str]:
    """The mode a column's question names (by its sub-label or a mode label in its text),
    and the question without it."""
    if not instrument.modes:
        return None, col.question
    from rapidfuzz import fuzz, utils

    if col.sub:
        best = max(instrument.modes, key=lambda m: _score(col.sub or "", m.label))
        if _score(col.sub, best.label) >= SURE or norm(col.sub) == best.id:
            return best.id, col.text or col.header
    text = col.question
    found = [
        (fuzz.partial_ratio(norm(m.label), norm(text), processor=utils.default_process), m) for m in instrument.modes
    ]
    found.sort(key=lambda x: x[0], reverse=True)
    if found and found[0][0] >= SURE:
        m = found[0][1]
        at = norm(text).rfind(norm(m.label)[:12])
        return m.id, text[:at] if at > 0 else text
    return None, text


def _targets(instrument: Instrument) -> list[tuple[Column, str]]:
    texts = {i.id: i.text for i in instrument.items}
    texts.update({q.id: q.text for q in instrument.open_questions})
    return [(c, texts[c.item]) for c in instrument.columns()]


def draft_mapping(table: pa.Table, prov: Provenance, instrument: Instrument) -> Draft:
    """A mapping for an export, matched by question text (see the module docs)."""
    columns = prov.columns
    ids = Counter(c.platform_id for c in columns if c.platform_id)
    heads = Counter(c.header for c in columns)

    def selector(col: SourceColumn) -> dict[str, str]:
        """:func:`_selector`, with the counts made once (per column it was quadratic: a
        200,000-column file never finished)."""
        if col.platform_id and ids[col.platform_id] == 1:
            return {"id": col.platform_id}
        if heads[col.header] == 1:
            return {"header": col.header}
        return {"text": col.question}

    matches: dict[int, Match] = {}
    rules: list[dict[str, Any]] = []
    ignore: list[dict[str, str]] = []
    used: set[str] = set()
    label_notes: list[str] = []

    named = {c.name for c in instrument.columns()} | {"respondent_id", "organisation", "team"}
    for j, col in enumerate(columns):
        if col.hint == "platform":
            matches[j] = Match(col.header or col.question, None, 100.0, "ignored", "the platform's own column")
            ignore.append(selector(col))
        elif col.hint == "respondent_id" and "respondent_id" not in used:
            matches[j] = Match(col.header, "respondent_id", 100.0, "matched", "the platform's respondent id")
            rules.append({"source": selector(col), "target": "respondent_id"})
            used.add("respondent_id")
        elif col.header in named:
            matches[j] = Match(col.header, col.header, 100.0, "matched", "header is the column id")
            rules.append({"source": {"header": col.header}, "target": col.header})
            used.add(col.header)

    # -- multi-select, one column per option --------------------------------------------
    multi_items = [c for c in instrument.columns() if c.kind == "multi-select"]
    texts = {i.id: i.text for i in instrument.items}
    for j, col in enumerate(columns):
        if j in matches:
            continue
        best: tuple[float, Column, str] | None = None
        for mc in multi_items:
            scale = instrument.scale(mc.scale or "")
            assert isinstance(scale, MultiSelectScale)
            q = norm(col.question).rstrip(" ]")
            for opt in scale.options:
                lab = norm(opt.label)
                sub = norm(col.sub) if col.sub else None
                if sub == lab or (sub is None and q.endswith(lab)):
                    stem = col.text if sub is not None else col.question[: max(0, len(q) - len(lab))]
                    s = _score(stem or "", texts[mc.item])
                    if best is None or s > best[0]:
                        best = (s, mc, opt.id)
        if best is not None and best[0] >= UNSURE:
            s, mc, option = best
            status = "matched" if s >= SURE else "uncertain"
            matches[j] = Match(col.header or col.question, f"{mc.name} = {option}", s, status, "one column per option")
            rules.append({"source": selector(col), "target": mc.name, "option": option})
            used.add(mc.name)
    for j, col in enumerate(columns):  # "Other (please specify)" and the like beside them
        if j not in matches and col.sub and norm(col.sub).startswith("other"):
            matches[j] = Match(
                col.header or col.question,
                None,
                0.0,
                "ignored",
                "typed-in 'other' answer: map it to an open question if wanted",
            )
            ignore.append(selector(col))

    # -- items, modes and open questions by text ----------------------------------------
    targets = [(c, t) for c, t in _targets(instrument) if c.name not in used]
    scored: list[tuple[float, int, int]] = []
    for j, col in enumerate(columns):
        if j in matches:
            continue
        mode, stem = _mode_of(col, instrument)
        for k, (c, text) in enumerate(targets):
            if c.mode is not None and c.mode != mode:
                continue
            if c.mode is None and mode is not None and c.kind == "numeric":
                continue
            s = _score(stem, text)
            if col.platform_id and norm(col.platform_id) == norm(c.name):
                s = 100.0
            scored.append((s, j, k))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    taken: set[int] = set()
    for s, j, k in scored:
        if j in matches or k in taken or s < UNSURE:
            continue
        c, _ = targets[k]
        taken.add(k)
        matches[j] = Match(columns[j].header or columns[j].question, c.name, s, "matched" if s >= SURE else "uncertain")
        rule: dict[str, Any] = {"source": selector(columns[j]), "target": c.name}
        if c.kind == "multi-select":
            rule["separator"] = {"msforms": ";", "googleforms": ", ", "qualtrics": ","}.get(prov.format, ";")
        rules.append(rule)
        used.add(c.name)

    # -- meta columns by words ------------------------------------------------------------
    for j, col in enumerate(columns):
        if j in matches:
            continue
        q = norm(col.question)
        for meta, words in _META.items():
            if meta in used or (meta in ("rater_role", "subject_id") and instrument.design != "review-360"):
                continue
            if any(w in q for w in words):
                matches[j] = Match(
                    col.header or col.question, meta, 80.0, "uncertain", "matched by the words of the question"
                )
                rules.append({"source": selector(col), "target": meta})
                used.add(meta)
                break
        if j not in matches:
            matches[j] = Match(col.header or col.question, None, 0.0, "unmatched")

    # -- answer labels ----------------------------------------------------------------------
    missing: dict[str, str] = {}
    scale_labels: dict[str, dict[str, float]] = {}
    option_labels: dict[str, dict[str, str]] = {}
    kinds = {c.name: c for c in instrument.columns()}
    first: dict[str, int] = {}  # a rule's source -> its column (a meta column named by a shared header too)
    for i, source_col in reversed(list(enumerate(columns))):
        first[json.dumps(selector(source_col), sort_keys=True)] = i
        first[json.dumps({"header": source_col.header}, sort_keys=True)] = i
    for rule in rules:
        j = first[json.dumps(rule["source"], sort_keys=True)]
        values = _distinct(table.column(columns[j].name))
        target = rule["target"]
        tcol = kinds.get(target)
        if tcol is not None and tcol.kind == "numeric":
            scale = instrument.scale(tcol.scale or "")
            assert isinstance(scale, NumericScale)
            _numeric_labels(values, scale, missing, scale_labels.setdefault(scale.id, {}), label_notes, target)
        elif tcol is not None and tcol.kind == "multi-select" and "separator" in rule:
            scale_m = instrument.scale(tcol.scale or "")
            assert isinstance(scale_m, MultiSelectScale)
            _option_labels(values, scale_m, rule["separator"], option_labels.setdefault(scale_m.id, {}), label_notes)
        elif target == "rater_role" and instrument.rater_roles:
            labels = _role_labels(values, instrument, label_notes)
            if labels:
                rule["labels"] = labels
    doc: dict[str, Any] = {
        "instrument": instrument.id,
        "instrument_version": instrument.version,
        "format": prov.format,
        "columns": rules,
    }
    if any(scale_labels.values()):
        doc["scales"] = {k: v for k, v in scale_labels.items() if v}
    if any(option_labels.values()):
        doc["options"] = {k: v for k, v in option_labels.items() if v}
    if missing:
        doc["missing"] = missing
    if ignore:
        doc["ignore"] = ignore
    mapping = Mapping.from_dict(doc, source="draft mapping")
    mapped = {m.target.split(" = ")[0] for m in matches.values() if m.target}
    unmatched_items = tuple(c.name for c in instrument.columns() if c.name not in mapped and c.kind != "text")
    return Draft(
        mapping, tuple(matches[j] for j in sorted(matches)), unmatched_items, tuple(dict.fromkeys(label_notes))
    )


def _distinct(col: pa.ChunkedArray) -> list[str]:
    values = pc.unique(col.combine_chunks()).to_pylist()
    return sorted({v for v in values if v is not None and v.strip()})


def _numeric_labels(
    values: Sequence[str],
    scale: NumericScale,
    missing: dict[str, str],
    labels: dict[str, float],
    notes: list[str],
    target: str,
) -> None:
    anchors = {norm(lab) for _, lab in scale.anchors}
    numbers = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")
    odd = [v for v in values if norm(v) not in anchors and not numbers.match(v) and norm(v) not in labels]
    rest = []
    for v in odd:
        if norm(v).replace("’", "'") in _MISSING:
            missing[v] = _MISSING[norm(v).replace("’", "'")]
            notes.append(f"{v!r} read as a missing answer (reason: {missing[v]}); see $.missing")
        else:
            rest.append(v)
    points = int(scale.max - scale.min + 1) if scale.integer else 0
    codes = [_CODE.match(v) for v in rest]
    if rest and points and all(codes) and all(1 <= int(m.group(1)) <= points for m in codes if m):
        for v, m in zip(rest, codes, strict=True):
            assert m is not None
            labels[v] = scale.min + int(m.group(1)) - 1
        notes.append(
            f"scale {scale.id!r}: answer codes such as {rest[0]!r} read as scale points in order "
            f"(code 1 = {scale.min:g}); check them against the survey's answer options"
        )
        return
    for v in rest:
        m = _LEADING.match(v)
        if m and scale.min <= int(m.group(1)) <= scale.max:
            labels[v] = int(m.group(1))
            notes.append(f"scale {scale.id!r}: {v!r} read as {int(m.group(1))} (the number it starts with)")
            continue
        from rapidfuzz import process, utils

        best = (
            process.extractOne(v, [lab for _, lab in scale.anchors], processor=utils.default_process)
            if scale.anchors
            else None
        )
        if best is not None and best[1] >= SURE:
            value = scale.anchors[best[2]][0]
            labels[v] = value
            notes.append(f"scale {scale.id!r}: {v!r} read as {value:g} ({best[0]!r}); check it")
        else:
            notes.append(
                f"column {target!r}: answer {v!r} is not a label of scale {scale.id!r}: rows holding it are "
                "rejected until the mapping says what it means ($.scales or $.missing)"
            )


def _option_labels(
    values: Sequence[str], scale: MultiSelectScale, separator: str, labels: dict[str, str], notes: list[str]
) -> None:
    """Labels of joined multi-select cells that are not the instrument's own. The text
    between known labels is one label (so a label may hold the separator); a stretch always
    followed (or preceded) by the same known label, which never appears without it, is one
    label with it ("Pay, performance and reward" where the instrument says "Performance and
    reward")."""
    from rapidfuzz import process, utils

    known = {norm(o.label): o.id for o in scale.options} | {norm(o): o for o in scale.option_ids}
    cells = [_segments(v, known, separator) for v in values]
    merged: dict[str, str] = {}
    residues: set[str] = set()
    for segs in cells:
        for k, (kind, text) in enumerate(segs):
            if kind != "residue":
                continue
            for step in (1, -1):
                nb = k + step
                if not 0 <= nb < len(segs) or segs[nb][0] != "known":
                    continue
                lab = norm(segs[nb][1])
                together = all(
                    any(
                        0 <= i - step < len(other) and other[i - step] == ("residue", text)
                        for i, seg in enumerate(other)
                        if seg[0] == "known" and norm(seg[1]) == lab
                    )
                    or not any(seg[0] == "known" and norm(seg[1]) == lab for seg in other)
                    for other in cells
                )
                if together:
                    whole = f"{text}{separator}{segs[nb][1]}" if step == 1 else f"{segs[nb][1]}{separator}{text}"
                    merged[whole] = known[lab]
                    break
            else:
                residues.add(text)
    for whole, option in sorted(merged.items()):
        labels[whole] = option
        notes.append(f"options {scale.id!r}: {whole!r} read as {option!r} (one label holding the separator); check it")
    names = [o.label for o in scale.options]
    singles = {r for r in residues if not any(r in w for w in merged)}
    for r in sorted(singles):
        best = process.extractOne(r, names, processor=utils.default_process)
        if best is not None and best[1] >= UNSURE:
            labels[r] = scale.options[best[2]].id
            notes.append(f"options {scale.id!r}: {r!r} read as {scale.options[best[2]].id!r}; check it")
        else:
            notes.append(
                f"options {scale.id!r}: {r!r} is no option of the instrument: rows choosing it are rejected until "
                "the mapping says what it is ($.options)"
            )


def _segments(cell: str, known: dict[str, str], separator: str) -> list[tuple[str, str]]:
    """A joined multi-select cell as known labels and the stretches between them, in order."""
    text = " ".join(cell.split())
    low = norm(text)
    sep = separator.strip() or separator
    if len(low) != len(text):  # normalising changed the text's length: split plainly
        return [("known" if norm(p) in known else "residue", p.strip()) for p in text.split(sep) if p.strip()]
    spans: list[tuple[int, int]] = []
    for lab in sorted(known, key=len, reverse=True):
        start = 0
        while (at := low.find(lab, start)) >= 0:
            end = at + len(lab)
            before_ok = at == 0 or low[:at].rstrip().endswith(sep)
            after_ok = end == len(low) or low[end:].lstrip().startswith(sep)
            if before_ok and after_ok and not any(a < end and at < b for a, b in spans):
                spans.append((at, end))
            start = at + 1
    spans.sort()
    out: list[tuple[str, str]] = []
    pos = 0
    for a, b in [*spans, (len(low), len(low))]:
        piece = text[pos:a].strip().removeprefix(sep).removesuffix(sep).strip()
        if piece:
            out.append(("residue", piece))
        if b > a:
            out.append(("known", text[a:b]))
        pos = b
    return out


def _role_labels(values: Sequence[str], instrument: Instrument, notes: list[str]) -> dict[str, str]:
    """Labels for rater roles that are not the instrument's own labels or ids: a code that is
    a role id's start or a label's initials or the start of a word of it (reported)."""
    out: dict[str, str] = {}
    own = {norm(r.label) for r in instrument.rater_roles} | {norm(r.id) for r in instrument.rater_roles}
    for v in values:
        key = norm(v)
        if key in own:
            continue
        hits = []
        for r in instrument.rater_roles:
            words = re.findall(r"[a-z]+", r.label.lower())
            initials = "".join(w[0] for w in words)
            if key == initials or r.id.startswith(key) or any(w.startswith(key) and len(key) >= 3 for w in words):
                hits.append(r.id)
        if len(hits) == 1:
            out[v] = hits[0]
            notes.append(f"rater role {v!r} read as {hits[0]!r} (initials or start of the role's name); check it")
        else:
            notes.append(
                f"rater role {v!r} is none of the instrument's roles: rows holding it are rejected until the "
                "mapping says which it is ($.columns[].labels)"
            )
    return out

"""The mapping document (``mapping.schema.json``): which source column of an export is
which instrument column, which answer labels mean which values, which mean "missing" and
why, how multi-select questions are laid out, and which columns to ignore.

:func:`apply_mapping` turns a reader's table into a table whose columns are the
instrument's column ids, to be validated like any other (:func:`aspire_models.formats.arrow.read_arrow`).
An answer label the mapping does not know rejects its row with the label quoted; nothing is
guessed. Labels are compared without regard to case, spacing, HTML entities or
non-breaking spaces.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingABC
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aspire_models.errors import DocumentError, Problem
from aspire_models.formats.base import Provenance, SourceColumn
from aspire_models.formats.layout import norm
from aspire_models.instrument import META_COLUMNS, Instrument, MultiSelectScale, NumericScale

__all__ = ["ColumnRule", "Mapping", "MappingResult", "SourceSelector", "apply_mapping", "load_mapping"]

_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
#: cells of a one-column-per-option multi-select that mean "not chosen"
_NOT_CHOSEN = {"0", "false", "no", "n", "not selected", "not chosen"}


@functools.cache
def mapping_schema() -> MappingABC[str, Any]:
    text = resources.files("aspire_models").joinpath("schemas", "mapping.schema.json").read_text("utf-8")
    schema: MappingABC[str, Any] = json.loads(text)
    return schema


@attrs.frozen
class SourceSelector:
    """A source column by its header, its question text, or the platform's id for it."""

    by: Literal["header", "text", "id"]
    value: str

    def to_dict(self) -> dict[str, str]:
        return {self.by: self.value}

    def __str__(self) -> str:
        return f"{self.by} {self.value!r}"


@attrs.frozen
class ColumnRule:
    source: SourceSelector
    target: str
    option: str | None = None
    separator: str | None = None
    labels: tuple[tuple[str, float | str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source.to_dict(), "target": self.target}
        if self.option is not None:
            out["option"] = self.option
        if self.separator is not None:
            out["separator"] = self.separator
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


@attrs.frozen
class Mapping:
    """A validated mapping document (build with :meth:`from_dict` or :func:`load_mapping`)."""

    instrument: str
    columns: tuple[ColumnRule, ...]
    scales: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    missing: tuple[tuple[str, str], ...] = ()
    ignore: tuple[SourceSelector, ...] = ()
    instrument_version: str | None = None
    format: str | None = None
    title: str | None = None
    source: str = "mapping"

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "mapping") -> Mapping:
        from jsonschema import Draft202012Validator

        from aspire_models.errors import short_repr

        validator = Draft202012Validator(dict(mapping_schema()))
        errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        if errors:
            raise DocumentError(
                source,
                [
                    Problem(
                        str(e.validator),
                        e.message if len(e.message) <= 300 else e.message[:297] + "...",
                        path=e.json_path,
                        file=source,
                        value=None if isinstance(e.instance, dict | list) else short_repr(e.instance),
                    )
                    for e in errors
                ],
            )

        def selector(d: MappingABC[str, str]) -> SourceSelector:
            ((by, value),) = d.items()
            return SourceSelector(by, value)  # type: ignore[arg-type]

        return cls(
            instrument=doc["instrument"],
            instrument_version=doc.get("instrument_version"),
            format=doc.get("format"),
            title=doc.get("title"),
            columns=tuple(
                ColumnRule(
                    selector(c["source"]),
                    c["target"],
                    c.get("option"),
                    c.get("separator"),
                    tuple(c.get("labels", {}).items()),
                )
                for c in doc["columns"]
            ),
            scales=tuple((k, tuple(v.items())) for k, v in doc.get("scales", {}).items()),
            options=tuple((k, tuple(v.items())) for k, v in doc.get("options", {}).items()),
            missing=tuple(doc.get("missing", {}).items()),
            ignore=tuple(selector(s) for s in doc.get("ignore", [])),
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"instrument": self.instrument}
        if self.instrument_version is not None:
            out["instrument_version"] = self.instrument_version
        if self.format is not None:
            out["format"] = self.format
        if self.title is not None:
            out["title"] = self.title
        out["columns"] = [c.to_dict() for c in self.columns]
        if self.scales:
            out["scales"] = {k: dict(v) for k, v in self.scales}
        if self.options:
            out["options"] = {k: dict(v) for k, v in self.options}
        if self.missing:
            out["missing"] = dict(self.missing)
        if self.ignore:
            out["ignore"] = [s.to_dict() for s in self.ignore]
        return out

    def check(self, instrument: Instrument) -> None:
        """Raise a :class:`DocumentError` naming the JSON path of every reference the
        mapping makes that the instrument does not have."""
        problems: list[Problem] = []
        kinds = {c.name: c for c in instrument.columns()}
        targets = [*kinds, *META_COLUMNS]
        if self.instrument != instrument.id:
            problems.append(
                Problem(
                    "instrument",
                    f"the mapping is for instrument {self.instrument!r}, not {instrument.id!r}",
                    path="$.instrument",
                    file=self.source,
                    value=self.instrument,
                )
            )
        if self.instrument_version is not None and self.instrument_version != instrument.version:
            problems.append(
                Problem(
                    "instrument-version",
                    f"the mapping is for version {self.instrument_version!r}; the instrument is {instrument.version!r}",
                    path="$.instrument_version",
                    file=self.source,
                    value=self.instrument_version,
                )
            )
        scales = {s.id: s for s in instrument.scales}
        single: dict[str, int] = {}
        for i, rule in enumerate(self.columns):
            where = f"$.columns[{i}]"
            if rule.target not in targets:
                close = difflib.get_close_matches(rule.target, targets, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    Problem(
                        "target",
                        f"{rule.target!r} is not a column of instrument {instrument.id!r}{hint}",
                        path=f"{where}.target",
                        file=self.source,
                        value=rule.target,
                    )
                )
                continue
            col = kinds.get(rule.target)
            scale = scales.get(col.scale or "") if col is not None else None
            if rule.option is not None or rule.separator is not None:
                if not isinstance(scale, MultiSelectScale):
                    key = "option" if rule.option is not None else "separator"
                    problems.append(
                        Problem(
                            "multi-select-only",
                            f"{rule.target!r} is not a multi-select question; {key!r} does not apply",
                            path=f"{where}.{key}",
                            file=self.source,
                        )
                    )
                elif rule.option is not None and rule.option not in scale.option_ids:
                    problems.append(
                        Problem(
                            "option",
                            f"{rule.option!r} is not an option of {rule.target!r} "
                            f"(options: {', '.join(scale.option_ids)})",
                            path=f"{where}.option",
                            file=self.source,
                            value=rule.option,
                        )
                    )
            if rule.option is None:
                if rule.target in single:
                    problems.append(
                        Problem(
                            "unique-target",
                            f"{rule.target!r} is already the target of $.columns[{single[rule.target]}]",
                            path=f"{where}.target",
                            file=self.source,
                            value=rule.target,
                        )
                    )
                single[rule.target] = i
            for label, value in rule.labels:
                problem = _label_problem(scale, rule.target, value, instrument)
                if problem:
                    problems.append(
                        Problem("label-value", problem, path=f"{where}.labels[{json.dumps(label)}]", file=self.source)
                    )
        for sid, labels in self.scales:
            scale = scales.get(sid)
            if not isinstance(scale, NumericScale):
                problems.append(
                    Problem(
                        "scale",
                        f"{sid!r} is not a numeric scale of instrument {instrument.id!r}",
                        path=f"$.scales[{json.dumps(sid)}]",
                        file=self.source,
                        value=sid,
                    )
                )
                continue
            for label, value in labels:
                problem = _label_problem(scale, None, value, instrument)
                if problem:
                    problems.append(
                        Problem(
                            "label-value",
                            problem,
                            path=f"$.scales[{json.dumps(sid)}][{json.dumps(label)}]",
                            file=self.source,
                        )
                    )
        for sid, option_labels in self.options:
            scale = scales.get(sid)
            if not isinstance(scale, MultiSelectScale):
                problems.append(
                    Problem(
                        "scale",
                        f"{sid!r} is not a multi-select scale of instrument {instrument.id!r}",
                        path=f"$.options[{json.dumps(sid)}]",
                        file=self.source,
                        value=sid,
                    )
                )
                continue
            for label, value in option_labels:
                problem = _label_problem(scale, None, value, instrument)
                if problem:
                    problems.append(
                        Problem(
                            "label-value",
                            problem,
                            path=f"$.options[{json.dumps(sid)}][{json.dumps(label)}]",
                            file=self.source,
                        )
                    )
        if problems:
            raise DocumentError(self.source, problems)


def _label_problem(scale: Any, target: str | None, value: float | str, instrument: Instrument) -> str | None:
    if isinstance(scale, NumericScale):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"{value!r} is not a number on scale {scale.id!r}"
        if not scale.min <= value <= scale.max or (scale.integer and float(value) != int(value)):
            return f"{value!r} is not a value of scale {scale.id!r} ({scale.min:g} to {scale.max:g})"
        return None
    if isinstance(scale, MultiSelectScale):
        if value not in scale.option_ids:
            return f"{value!r} is not an option of scale {scale.id!r} (options: {', '.join(scale.option_ids)})"
        return None
    if target == "rater_role" and instrument.rater_roles and value not in instrument.role_ids:
        return f"{value!r} is not a rater role of {instrument.id!r} ({', '.join(instrument.role_ids)})"
    if not isinstance(value, str):
        return f"{value!r}: a meta column's label must map to text"
    return None


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping document from a JSON file."""
    from aspire_models.safeio import load_json

    p = Path(path)
    doc = load_json(p, what="mapping file")
    return Mapping.from_dict(doc, source=str(p))


@attrs.frozen
class MappingResult:
    """A table in the instrument's column ids, with the rows rejected on the way."""

    table: pa.Table
    #: 0-based row -> problems (unknown answer labels, rows the reader could not split)
    problems: MappingABC[int, list[Problem]]
    warnings: tuple[str, ...]


def _find(selector: SourceSelector, columns: Sequence[SourceColumn]) -> list[int]:
    want = norm(selector.value)
    if selector.by == "header":
        hits = [i for i, c in enumerate(columns) if c.header == selector.value or c.name == selector.value]
        return hits or [i for i, c in enumerate(columns) if norm(c.header) == want or norm(c.name) == want]
    if selector.by == "id":
        return [i for i, c in enumerate(columns) if c.platform_id == selector.value]
    return [
        i
        for i, c in enumerate(columns)
        if norm(c.question) == want or (c.text is not None and norm(c.text) == want and c.sub is None)
    ]


def _not_found(
    selector: SourceSelector, columns: Sequence[SourceColumn], path: str, source: str, export: str
) -> Problem:
    pool = {
        "header": [c.header for c in columns],
        "text": [c.question for c in columns],
        "id": [c.platform_id for c in columns if c.platform_id],
    }[selector.by]
    close = difflib.get_close_matches(selector.value, pool, n=1, cutoff=0.6)
    hint = f"; closest: {close[0]!r}" if close else ""
    return Problem(
        "source-column",
        f"no column with {selector} in {export}{hint}",
        path=f"{path}.{selector.by}",
        file=source,
        value=selector.value,
    )


def _labels_of(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {norm(k): v for k, v in pairs}


def apply_mapping(table: pa.Table, prov: Provenance, mapping: Mapping, instrument: Instrument) -> MappingResult:
    """The reader's table as the instrument's columns (see the module docs)."""
    mapping.check(instrument)
    cols = prov.columns
    export = prov.source
    problems_doc: list[Problem] = []
    where: list[int] = []
    for i, rule in enumerate(mapping.columns):
        hits = _find(rule.source, cols)
        if not hits:
            problems_doc.append(_not_found(rule.source, cols, f"$.columns[{i}].source", mapping.source, export))
        elif len(hits) > 1:
            problems_doc.append(
                Problem(
                    "source-ambiguous",
                    f"{len(hits)} columns of {export} have {rule.source} (columns "
                    f"{', '.join(str(h + 1) for h in hits[:5])}); name it by header or id",
                    path=f"$.columns[{i}].source.{rule.source.by}",
                    file=mapping.source,
                    value=rule.source.value,
                )
            )
        where.append(hits[0] if hits else -1)
    ignored: set[int] = set()
    for i, sel in enumerate(mapping.ignore):
        hits = _find(sel, cols)
        if not hits:
            problems_doc.append(_not_found(sel, cols, f"$.ignore[{i}]", mapping.source, export))
        ignored.update(hits)
    if problems_doc:
        raise DocumentError(mapping.source, problems_doc)

    n = table.num_rows
    problems: dict[int, list[Problem]] = {r: list(p) for r, p in prov.row_problems.items()}
    warnings: list[str] = []
    missing = _labels_of(mapping.missing)
    missing_counts: dict[str, int] = {}
    scale_labels = {sid: dict(v) for sid, v in mapping.scales}
    option_labels = {sid: dict(v) for sid, v in mapping.options}
    kinds = {c.name: c for c in instrument.columns()}
    out: dict[str, pa.Array] = {}
    per_option: dict[str, list[tuple[str, pa.Array, str]]] = {}

    def reject(rows: Iterable[int], label: str, rule_i: int, target: str, what: str) -> None:
        src = cols[where[rule_i]].header or cols[where[rule_i]].question
        col = kinds.get(target)
        places = [f"$.columns[{rule_i}].labels"]
        if col is not None and col.kind == "numeric":
            places = [f"$.scales[{json.dumps(col.scale)}]", "$.missing (if it means no answer)", *places]
        elif col is not None and col.kind == "multi-select":
            places = [f"$.options[{json.dumps(col.scale)}]", *places]
        for r in rows:
            problems.setdefault(r, []).append(
                Problem(
                    "answer-label",
                    f"{what} {label!r} in column {src!r} is not a label the mapping knows "
                    f"(add it to the mapping: {', or '.join(places)})",
                    file=export,
                    record=r + 1,
                    field=target,
                    value=label,
                )
            )

    def note_missing(label: str, count: int, reason: str) -> None:
        key = f"'{label}' read as missing (reason: {reason})"
        missing_counts[key] = missing_counts.get(key, 0) + count

    for i, rule in enumerate(mapping.columns):
        arr = table.column(cols[where[i]].name).combine_chunks()
        enc = pc.dictionary_encode(arr)
        labels: list[str | None] = enc.dictionary.to_pylist()
        idx = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        counts = np.bincount(idx[idx >= 0], minlength=len(labels))
        own = _labels_of(rule.labels)
        col = kinds.get(rule.target)
        mapped: list[str | None] = []
        for k, raw in enumerate(labels):
            value: str | None = None
            key = norm(raw or "")
            if not key:
                mapped.append(None)
                continue
            if col is not None and col.kind == "multi-select":
                scale = instrument.scale(col.scale or "")
                assert isinstance(scale, MultiSelectScale)
                if key in missing:
                    note_missing(raw or "", int(counts[k]), missing[key])
                    mapped.append(None)
                    continue
                if rule.option is not None:
                    mapped.append(None if key in _NOT_CHOSEN else rule.option)
                    continue
                known = {norm(o.label): o.id for o in scale.options}
                known.update({norm(o): o for o in scale.option_ids})
                known.update(_labels_of(option_labels.get(scale.id, {}).items()))
                known.update({kk: str(v) for kk, v in own.items()})
                chosen, unknown = split_options(raw or "", known, rule.separator or ";")
                if unknown:
                    reject(np.flatnonzero(idx == k).tolist(), unknown[0], i, rule.target, "option")
                    mapped.append(None)
                else:
                    mapped.append(";".join(dict.fromkeys(chosen)) or None)
                continue
            if key in own:
                value = _as_cell(own[key])
            elif key in missing:
                note_missing(raw or "", int(counts[k]), missing[key])
                mapped.append(None)
                continue
            elif col is not None and col.kind == "numeric":
                scale_n = instrument.scale(col.scale or "")
                assert isinstance(scale_n, NumericScale)
                anchors = {norm(lab): v for v, lab in scale_n.anchors}
                anchors.update(_labels_of(scale_labels.get(scale_n.id, {}).items()))
                if key in anchors:
                    value = _as_cell(anchors[key])
                elif _NUMBER.match(raw or ""):
                    value = raw
                else:
                    reject(np.flatnonzero(idx == k).tolist(), raw or "", i, rule.target, "answer")
                    value = None
            elif rule.target == "rater_role" and instrument.rater_roles:
                roles = {norm(r.label): r.id for r in instrument.rater_roles}
                roles.update({norm(r.id): r.id for r in instrument.rater_roles})
                if key in roles:
                    value = roles[key]
                else:
                    reject(np.flatnonzero(idx == k).tolist(), raw or "", i, rule.target, "rater role")
                    value = None
            else:  # text and free meta columns: as given
                value = raw
            mapped.append(value)
        lut = pa.array([*mapped, None], type=pa.string())
        result = lut.take(pa.array(np.where(idx < 0, len(mapped), idx)))
        if rule.option is not None:
            per_option.setdefault(rule.target, []).append((rule.option, result, cols[where[i]].header))
        else:
            out[rule.target] = result
    for target, parts in per_option.items():
        scale = instrument.scale(kinds[target].scale or "")
        assert isinstance(scale, MultiSelectScale)
        order = {o: j for j, o in enumerate(scale.option_ids)}
        parts.sort(key=lambda p: order[p[0]])
        # each row's choices as one number (a bit per column), then one text per distinct number
        pattern = np.zeros(n, dtype=object if len(parts) > 62 else np.int64)
        for bit, part in enumerate(parts):
            picked = np.asarray(part[1].is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            pattern = pattern + picked.astype(pattern.dtype) * (1 << bit)
        distinct, inverse = np.unique(pattern, return_inverse=True)
        texts = [
            ";".join(dict.fromkeys(part[0] for bit, part in enumerate(parts) if int(code) >> bit & 1)) or None
            for code in distinct
        ]
        joined: list[str | None] = [texts[i] for i in inverse.tolist()]
        if target in out:  # a joined column and per-option columns for the same question
            warnings.append(f"{target!r}: options from several columns are combined")
            earlier = out[target].to_pylist()
            joined = [";".join(x for x in (a, b) if x) or None for a, b in zip(earlier, joined, strict=True)]
        out[target] = pa.array(joined, type=pa.string())
    mapped_idx = set(where)
    unlisted = [c for j, c in enumerate(cols) if j not in mapped_idx and j not in ignored]
    if unlisted:
        shown = ", ".join(repr(c.header) for c in unlisted[:10]) + (" ..." if len(unlisted) > 10 else "")
        warnings.append(
            f"{export}: {len(unlisted)} column(s) neither mapped nor ignored by the mapping, left out: {shown}"
        )
    for what, count in sorted(missing_counts.items()):
        warnings.append(f"{export}: {count} answer(s) {what}")
    in_order = [c.name for c in instrument.columns()]
    names = [m for m in META_COLUMNS if m in out] + [c for c in in_order if c in out]
    return MappingResult(pa.table({k: out[k] for k in names}), problems, tuple(warnings))


def _as_cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_options(cell: str, known: MappingABC[str, str], separator: str) -> tuple[list[str], list[str]]:
    """Option ids of a cell of joined labels, resolved against ``known`` (normalised label ->
    option id): at each position the longest known label followed by the separator (or the
    end) is taken, so a label may itself contain the separator. Text that is no known
    label is returned in the second list, as written."""
    text = norm(cell)
    sep = norm(separator) or separator.strip() or separator
    labels = sorted(known, key=len, reverse=True)
    chosen: list[str] = []
    unknown: list[str] = []
    pos = 0
    original = " ".join(cell.split())
    while pos < len(text):
        while pos < len(text) and (text[pos] == " " or text.startswith(sep, pos)):
            pos += len(sep) if text.startswith(sep, pos) else 1
        if pos >= len(text):
            break
        for lab in labels:
            end = pos + len(lab)
            if lab and text.startswith(lab, pos) and (end == len(text) or text[end:].lstrip().startswith(sep)):
                chosen.append(known[lab])
                pos = end
                break
        else:
            nxt = text.find(sep, pos)
            end = len(text) if nxt < 0 else nxt
            fragment = original[pos:end].strip() if len(original) == len(text) else text[pos:end].strip()
            unknown.append(fragment)
            pos = end
    return chosen, unknown

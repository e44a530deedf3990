"""What a report is made from: a result's JSON form (never raw responses) and, when a
registry is at hand, the names of the elements, rater roles and scales it refers to.

A :class:`~aspire_models.result.Result` is first turned into its JSON-able form
(:meth:`Result.to_dict`, which leaves out respondent-level tables), so a report made from a
result and one made from the stored JSON of the same result are the same report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from aspire_models.errors import AspireError, DocumentError, Problem
from aspire_models.result import Result
from aspire_models.scoring import Table

if TYPE_CHECKING:
    from aspire_models.registry import Registry

__all__ = ["Labels", "OutputView", "ReportData", "ResultLike", "load_result", "report_data"]

ResultLike: TypeAlias = "Result | Mapping[str, Any]"


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a stored result JSON document (``aspire score -o``) and validate it against
    ``result.schema.json``."""
    from aspire_models import validation
    from aspire_models.safeio import load_json

    p = Path(path)
    doc = load_json(p, what="result document")  # limits and named errors (aspire_models.safeio)
    validation.check(doc, "result", source=str(p))
    if not isinstance(doc, dict):  # pragma: no cover - the schema requires an object
        raise DocumentError(str(p), [Problem("type", "a result document is a JSON object", file=str(p))])
    return doc


@attrs.frozen
class Labels:
    """Human names for the ids in a result (ids themselves when no registry is given)."""

    instrument_title: str | None = None
    framework_name: str | None = None
    elements: Mapping[str, str] = attrs.field(factory=dict)
    roles: Mapping[str, str] = attrs.field(factory=dict)
    questions: Mapping[str, str] = attrs.field(factory=dict)
    scale: tuple[float, float] | None = None
    #: what the framework calls the elements the result is about, singular and plural
    #: ("Theme", "Themes"; "Behaviour"; "Practice"): from the framework's own element kinds
    kind: str = "Element"
    kinds: str = "Elements"

    def element(self, element_id: Any) -> str:
        return self.elements.get(str(element_id), str(element_id))

    def role(self, role_id: Any) -> str:
        if role_id == "all-others":
            return "All others"
        return self.roles.get(str(role_id), str(role_id))

    def question(self, question_id: Any) -> str:
        return self.questions.get(str(question_id), str(question_id))

    @classmethod
    def lookup(cls, registry: Registry | None, instrument_id: str, framework_id: str) -> Labels:
        if registry is None:
            return cls()
        from aspire_models.instrument import NumericScale

        try:
            ins = registry.instrument(instrument_id)
        except AspireError:
            ins = None
        try:
            fw = registry.framework(framework_id)
        except AspireError:
            fw = None
        elements: dict[str, str] = {}
        kind = ("Element", "Elements")
        if fw is not None:
            elements = {e.id: e.name for e in fw.elements}
            used = [e.kind for e in fw.elements]
            if ins is not None:
                scored = {i.element for i in ins.items if i.element is not None}
                used = [e.kind for e in fw.elements if e.id in scored] or used
            if len(set(used)) == 1:
                name = fw.kind(used[0]).name
                kind = (name, _plural(name))
        if ins is None:
            return cls(None, fw.name if fw else None, elements, kind=kind[0], kinds=kind[1])
        # elements of other frameworks an instrument may refer to keep their ids
        ranges = {(s.min, s.max) for s in ins.scales if isinstance(s, NumericScale)}
        scale = next(iter(ranges)) if len(ranges) == 1 else None
        return cls(
            ins.title,
            fw.name if fw else None,
            elements,
            {r.id: r.label for r in ins.rater_roles},
            {q.id: q.text for q in ins.open_questions},
            (float(scale[0]), float(scale[1])) if scale else None,
            kind[0],
            kind[1],
        )


def _plural(name: str) -> str:
    """English plural of a kind's name ("Theme" -> "Themes", "Competency" -> "Competencies")."""
    head, _, last = name.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


@attrs.frozen
class OutputView:
    """One scorer's output as the report sees it."""

    scorer: str
    params: Mapping[str, Any]
    summary: Mapping[str, Any]
    notes: tuple[str, ...]
    tables: Mapping[str, Table]

    def rows(self, name: str) -> list[dict[str, Any]]:
        table = self.tables.get(name)
        return table.rows() if table is not None else []


@attrs.frozen
class ReportData:
    """A result in the form reports read: provenance, accounting, outputs, labels."""

    document: Mapping[str, Any]
    outputs: tuple[OutputView, ...]
    labels: Labels
    #: scorer id -> (title, description), from the registry, for every scorer of the result
    scorers: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    #: charts plugins contribute (hook ``aspire_report_charts``; see reports.plugins)
    charts: tuple[Any, ...] = ()

    @property
    def instrument_id(self) -> str:
        return str(self.document["instrument"]["id"])

    @property
    def accounting(self) -> Mapping[str, int]:
        acc: Mapping[str, int] = self.document["accounting"]
        return acc

    def output(self, scorer: str) -> OutputView | None:
        for o in self.outputs:
            if o.scorer == scorer:
                return o
        return None


def report_data(result: ResultLike, registry: Registry | None = None) -> ReportData:
    """The report's view of a :class:`Result` or of a stored result document."""
    if isinstance(result, Result):
        doc: Mapping[str, Any] = result.to_dict()
    elif isinstance(result, Mapping):
        doc = result
    else:
        raise TypeError(f"a report needs a Result or a result document, not {type(result).__name__}")
    try:
        tables = Result.tables_from_dict(doc)
        outputs = tuple(
            OutputView(
                o["scorer"],
                dict(o.get("params", {})),
                dict(o.get("summary", {})),
                tuple(o.get("notes", ())),
                {
                    name: t
                    for name, t in tables[o["scorer"]].items()
                    if t.level != "respondent"  # reports never show respondent-level rows
                },
            )
            for o in doc["outputs"]
        )
        labels = Labels.lookup(registry, str(doc["instrument"]["id"]), str(doc["framework"]["id"]))
    except (KeyError, TypeError, IndexError) as exc:
        raise DocumentError("result document", [Problem("structure", f"not a result document: {exc!r}")]) from None
    if registry is None:
        return ReportData(doc, outputs, labels)
    scorers = {
        o.scorer: (registry.scorers[o.scorer].title, registry.scorers[o.scorer].description)
        for o in outputs
        if o.scorer in registry.scorers
    }
    return ReportData(doc, outputs, labels, scorers, registry.report_charts())


def as_list(results: ResultLike | Sequence[ResultLike]) -> list[ResultLike]:
    """One result or a sequence of them, as a list."""
    if isinstance(results, Result | Mapping):
        return [results]
    return list(results)

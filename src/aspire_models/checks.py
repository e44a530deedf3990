"""The checks an instrument must pass before it can score anything, beyond its JSON Schema
and its internal references (which :meth:`~aspire_models.instrument.Instrument.from_dict`
runs): one function, used by the registry when it collects an instrument, by
:meth:`~aspire_models.registry.Registry.load_instrument` (``aspire score -i FILE``) and by
``aspire validate``, so that what validates is exactly what loads.

* **framework references**: the framework is known (and of the wanted version), every item
  and open question names one of its elements, every option list names one of its kinds;
* **scales that can hold an answer**: numeric bounds are finite, a whole-number scale has a
  whole number between its bounds, a multi-select scale has at least one option;
* **scoring rules**: every scorer is known, applies to the instrument's design, and its
  parameters are valid against the scorer's parameter schema (defaults filled in).

>>> from aspire_models import Registry
>>> reg = Registry(entry_points=False)
>>> doc = reg.instrument("aspire-sop-self-assessment").to_dict()
>>> doc["scoring"] = [{"scorer": "dimension-scorez"}]
>>> from aspire_models.instrument import Instrument
>>> [p.rule for p in instrument_problems(Instrument.from_dict(doc), reg.frameworks, reg.scorers)]
['known-scorer']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aspire_models.errors import DocumentError, Problem, UnknownIdError
from aspire_models.instrument import Instrument, MultiSelectScale, NumericScale

if TYPE_CHECKING:
    from aspire_models.framework import Framework
    from aspire_models.scoring import Scorer

__all__ = [
    "check_instrument",
    "instrument_problems",
    "json_files",
    "scale_problems",
    "scoring_problems",
    "validate_document",
]


def check_instrument(
    instrument: Instrument,
    frameworks: Mapping[str, Framework],
    scorers: Mapping[str, Scorer],
    *,
    source: str | None = None,
) -> Instrument:
    """The instrument bound to its framework (option lists filled in), or
    :class:`~aspire_models.errors.DocumentError` listing every problem of
    :func:`instrument_problems`."""
    bound, problems = _check(instrument, frameworks, scorers)
    if problems or bound is None:
        where = source or f"instrument {instrument.id!r}"
        raise DocumentError(where, [_located(p, where) for p in problems])
    return bound


def instrument_problems(
    instrument: Instrument, frameworks: Mapping[str, Framework], scorers: Mapping[str, Scorer]
) -> list[Problem]:
    """Every problem that stops ``instrument`` from loading for scoring (empty: it loads)."""
    return _check(instrument, frameworks, scorers)[1]


def _located(problem: Problem, where: str) -> Problem:
    import attrs

    return problem if problem.file else attrs.evolve(problem, file=where)


def _check(
    instrument: Instrument, frameworks: Mapping[str, Framework], scorers: Mapping[str, Scorer]
) -> tuple[Instrument | None, list[Problem]]:
    problems: list[Problem] = []
    bound: Instrument | None = None
    framework = frameworks.get(instrument.framework)
    if framework is None:
        problems.append(UnknownIdError("framework", instrument.framework, frameworks).as_problem("$.framework"))
    else:

        def lookup(fid: str) -> Framework:
            try:
                return frameworks[fid]
            except KeyError:
                raise UnknownIdError("framework", fid, frameworks) from None

        refs = instrument.problems_against(framework, lookup)
        problems += refs
        if not refs:
            bound = instrument.bind(framework, lookup)
    problems += scale_problems(bound or instrument, bound=bound is not None)
    problems += scoring_problems(instrument, scorers)
    return bound, problems


def scale_problems(instrument: Instrument, *, bound: bool = False) -> list[Problem]:
    """Scales on which no answer could be valid (rule ``scale-accepts-answer``).

    Multi-select option lists taken from a framework are judged only when ``bound`` (the
    instrument was bound to its framework, which fills them in)."""
    out: list[Problem] = []
    for n, s in enumerate(instrument.scales):
        path = f"$.scales[{n}]"
        if isinstance(s, NumericScale):
            if not (math.isfinite(s.min) and math.isfinite(s.max)):
                out.append(
                    Problem(
                        "scale-accepts-answer",
                        f"scale {s.id!r}: the bounds must be finite numbers (min {s.min}, max {s.max})",
                        path,
                        value=[s.min, s.max],
                    )
                )
            elif s.integer and math.ceil(s.min) > math.floor(s.max):
                out.append(
                    Problem(
                        "scale-accepts-answer",
                        f"scale {s.id!r} takes whole numbers only, and there is none from {s.min:g} to {s.max:g}",
                        path,
                        value=[s.min, s.max],
                    )
                )
        elif isinstance(s, MultiSelectScale) and not s.options and s.options_from is None:
            out.append(Problem("scale-accepts-answer", f"scale {s.id!r} has no options to choose", path))
        elif isinstance(s, MultiSelectScale) and not s.options and bound:
            fw, kind = s.options_from or ("", "")
            out.append(
                Problem(
                    "scale-accepts-answer",
                    f"scale {s.id!r} takes its options from the {kind!r} elements of framework {fw!r}, which has none",
                    f"{path}.options",
                    value=[fw, kind],
                )
            )
    return out


def scoring_problems(instrument: Instrument, scorers: Mapping[str, Scorer]) -> list[Problem]:
    """Problems of the instrument's ``scoring`` rules: unknown scorer (``known-scorer``, with
    a did-you-mean), a scorer for other designs (``scorer-design``), parameters that break the
    scorer's parameter schema (the schema keyword, at ``$.scoring[n].params...``)."""
    from aspire_models.scoring import resolve_params

    out: list[Problem] = []
    for n, rule in enumerate(instrument.scoring):
        scorer = scorers.get(rule.scorer)
        if scorer is None:
            out.append(UnknownIdError("scorer", rule.scorer, scorers).as_problem(f"$.scoring[{n}].scorer"))
            continue
        if instrument.design not in scorer.designs:
            out.append(
                Problem(
                    "scorer-design",
                    f"scorer {scorer.id!r} does not apply to {instrument.design} instruments "
                    f"(it applies to: {', '.join(scorer.designs)})",
                    f"$.scoring[{n}].scorer",
                    value=scorer.id,
                )
            )
        try:
            resolve_params(scorer, rule.params, where=f"$.scoring[{n}]")
        except DocumentError as exc:
            out += [_param_problem(p, n, scorer.id) for p in exc.problems]
    return out


def _param_problem(problem: Problem, n: int, scorer: str) -> Problem:
    import attrs

    sub = (problem.path or "$")[1:]
    value: Any = problem.value
    return attrs.evolve(
        problem,
        message=f"parameter of scorer {scorer!r}: {problem.message}",
        path=f"$.scoring[{n}].params{sub}",
        value=value if isinstance(value, int | float | str | bool) or value is None else repr(value)[:60],
    )


def json_files(folder: Path) -> list[Path]:
    """The ``.json`` files under ``folder`` (a plugin folder), recursively, sorted."""
    return sorted(p for p in folder.rglob("*.json") if p.is_file())


def validate_document(
    doc: Any,
    kind: str,
    *,
    source: str,
    frameworks: Mapping[str, Framework] | None = None,
    scorers: Mapping[str, Scorer] | None = None,
) -> Any:
    """Check one document of ``kind`` (framework, instrument, norms, result) as loading it
    would: an instrument passes :func:`check_instrument` against ``frameworks`` and
    ``scorers``. Returns the loaded object; raises :class:`~aspire_models.errors.DocumentError`."""
    from aspire_models import validation
    from aspire_models.framework import Framework

    if kind == "framework":
        return Framework.from_dict(doc, source=source)
    if kind == "instrument":
        ins = Instrument.from_dict(doc, source=source)
        return check_instrument(ins, frameworks or {}, scorers or {}, source=source)
    if kind == "reference":
        from aspire_models.reference import validate_reference

        validate_reference(doc, source)
        return doc
    validation.check(doc, kind, source=source)
    return doc

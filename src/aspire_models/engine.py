"""The scoring engine: run an instrument's scorers over validated responses.

>>> from aspire_models import Registry, score
>>> from aspire_models.examples import example_path
>>> reg = Registry(entry_points=False)
>>> result = score(reg, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))
>>> result.output("gap-priority").summary["top_priority"]
'leadership'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from aspire_models.errors import ScoringError
from aspire_models.instrument import Instrument, ScoringRule
from aspire_models.registry import Registry
from aspire_models.responses import ResponseSet, read_csv, read_frame, read_records
from aspire_models.result import Accounting, Provenance, Result
from aspire_models.scoring import ScorerOutput, ScoringContext, resolve_params

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_responses", "score", "score_responses"]

Responses: TypeAlias = "str | Path | Sequence[Mapping[str, Any]] | pd.DataFrame | ResponseSet"


def load_responses(instrument: Instrument, data: Responses, **options: Any) -> ResponseSet:
    """Read and validate responses from a CSV path, a list of records or a DataFrame."""
    if isinstance(data, ResponseSet):
        return data
    if isinstance(data, str | Path):
        path = Path(data)
        if path.suffix.lower() == ".json":
            import json

            from aspire_models.errors import Problem, ResponseError

            try:
                records = json.loads(path.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ResponseError([Problem("json", f"not valid JSON: {exc}", file=str(path))]) from None
            if not isinstance(records, list):
                raise ResponseError(
                    [Problem("type", "a JSON response file must hold a list of records", file=str(path))]
                )
            return read_records(records, instrument, source=str(path))
        return read_csv(path, instrument, **options)
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return read_frame(data, instrument, **options)
    return read_records(data, instrument)


def score(
    registry: Registry,
    instrument: str | Instrument,
    data: Responses,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    **read_options: Any,
) -> Result:
    """Score responses with an instrument's scorers (or the ones named).

    :param scorers: scorer ids or rules to run instead of the instrument's ``scoring`` list.
    :param params: per-scorer parameter overrides, ``{scorer_id: {name: value}}``.
    """
    ins = registry.instrument(instrument) if isinstance(instrument, str) else instrument
    responses = load_responses(ins, data, **read_options)
    return score_responses(registry, responses, scorers=scorers, params=params)


def score_responses(
    registry: Registry,
    responses: ResponseSet,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> Result:
    """Score an already validated :class:`ResponseSet`."""
    ins = responses.instrument
    framework = registry.framework(ins.framework)
    rules = (
        list(ins.scoring) if scorers is None else [r if isinstance(r, ScoringRule) else ScoringRule(r) for r in scorers]
    )
    if not rules:
        raise ScoringError(f"instrument {ins.id!r} names no scorers; pass scorers=[...]")
    ctx = ScoringContext(ins, framework, responses, registry.framework, tuple(registry.norms.values()))
    outputs: list[ScorerOutput] = []
    for rule in rules:
        scorer = registry.scorer(rule.scorer)
        if ins.design not in scorer.designs:
            raise ScoringError(
                f"scorer {scorer.id!r} does not apply to {ins.design} instruments "
                f"(it applies to: {', '.join(scorer.designs)})"
            )
        merged = {**rule.params, **(params or {}).get(scorer.id, {})}
        resolved = resolve_params(scorer, merged, where=f"instrument {ins.id!r}")
        out = scorer.score(ctx, resolved)
        if not isinstance(out, ScorerOutput):
            raise ScoringError(f"scorer {scorer.id!r} returned {type(out).__name__}, not ScorerOutput")
        ctx.previous[scorer.id] = out
        outputs.append(out)
    from aspire_models import __version__

    prov = Provenance(
        __version__,
        ins.id,
        ins.version,
        ins.digest(),
        framework.id,
        framework.version,
        Path(responses.source).name if responses.source else "",
        responses.digest,
    )
    return Result(
        prov,
        Accounting(responses.n_input, responses.n_accepted, responses.n_rejected),
        responses.rejected,
        tuple(outputs),
        responses.warnings,
    )

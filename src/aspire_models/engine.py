"""The scoring engine: run an instrument's scorers over validated responses.

>>> from aspire_models import Registry, score
>>> from aspire_models.examples import example_path
>>> reg = Registry(entry_points=False)
>>> result = score(reg, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))
>>> result.output("gap-priority").summary["top_priority"]
'leadership'
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np

from aspire_models.errors import AspireError, PluginError, Problem, ResponseError, ScoringError
from aspire_models.instrument import Instrument, ScoringRule
from aspire_models.limits import DEFAULT_LIMITS, Limits
from aspire_models.registry import Registry
from aspire_models.responses import Rejection, ResponseSet, read_arrow, read_csv, read_frame, read_records
from aspire_models.result import Accounting, Provenance, Result, ScorerFailure
from aspire_models.scoring import Scorer, ScorerOutput, ScoringContext, resolve_params

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_responses", "score", "score_responses"]

Responses: TypeAlias = "str | Path | Sequence[Mapping[str, Any]] | pd.DataFrame | ResponseSet"

#: Default seconds a scorer may run before it is reported as failed and left out.
DEFAULT_TIMEOUT = 600.0


def load_responses(
    instrument: Instrument, data: Responses, *, limits: Limits = DEFAULT_LIMITS, **options: Any
) -> ResponseSet:
    """Read and validate responses from a CSV path, a JSON file or list of records, or a DataFrame.

    ``limits`` bounds file size, rows, text length and JSON depth (see
    :class:`~aspire_models.limits.Limits`). ``options`` go to the reader (``delimiter``,
    ``encoding``, ``extra_columns`` for CSV; ``strict`` for JSON records; for every input
    ``allow_missing_items=True`` to read one that lacks answer columns of items that are not
    optional, which is otherwise an error, rule ``missing-column``: see :mod:`aspire_models.measured`).
    """
    return _limit_text(_load(instrument, data, limits=limits, **options), limits.max_text_length)


def _limit_text(rs: ResponseSet, limit: int) -> ResponseSet:
    """Reject accepted rows holding a text longer than ``limit`` characters (rule ``max-text-length``)."""
    too_long = np.zeros(rs.n_accepted, dtype=bool)
    hits: dict[int, list[Problem]] = {}
    for name, texts in rs.text.items():
        lengths = np.fromiter((len(t) if isinstance(t, str) else 0 for t in texts), dtype=np.int64, count=len(texts))
        for i in np.flatnonzero(lengths > limit).tolist():
            too_long[i] = True
            row = int(rs.rows[i])
            hits.setdefault(row, []).append(
                Problem(
                    "max-text-length",
                    f"the text is {lengths[i]:,} characters, over the limit of {limit:,} (Limits.max_text_length)",
                    file=rs.source,
                    record=row,
                    field=name,
                )
            )
    if not too_long.any():
        return rs
    kept = rs.take(~too_long)
    rejected = sorted((*rs.rejected, *(Rejection(r, tuple(p)) for r, p in hits.items())), key=lambda r: r.row)
    return attrs.evolve(kept, rejected=tuple(rejected))


def _load(instrument: Instrument, data: Responses, *, limits: Limits, **options: Any) -> ResponseSet:
    if isinstance(data, ResponseSet):
        return data
    if isinstance(data, str | Path):
        path = Path(data)
        readers = options.pop("readers", None)  # source-format readers (aspire_models.formats)
        try:
            limits.check_file_size(path.stat().st_size, str(path))
        except FileNotFoundError:
            raise ResponseError([Problem("file-exists", "no such file", file=str(path))]) from None
        if path.suffix.lower() == ".json":
            try:
                records = json.loads(path.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ResponseError([Problem("json", f"not valid JSON: {exc}", file=str(path))]) from None
            except RecursionError:
                raise ResponseError(
                    [Problem("max-json-depth", "JSON nested too deeply to read", file=str(path))]
                ) from None
            limits.check_json_depth(records, str(path))
            if not isinstance(records, list):
                raise ResponseError(
                    [Problem("type", "a JSON response file must hold a list of records", file=str(path))]
                )
            limits.check_rows(len(records), str(path))
            return read_records(records, instrument, source=str(path), **options)
        from aspire_models import formats

        if not formats.fast_path(path, options):  # workbooks, survey exports, other encodings
            return formats.load_export(path, instrument, limits=limits, readers=readers, **options)
        rs = read_csv(path, instrument, **options)
        limits.check_rows(rs.n_input, str(path))
        return rs
    import pandas as pd
    import pyarrow as pa

    if isinstance(data, pa.Table):
        limits.check_rows(data.num_rows, "<Arrow table>")
        return read_arrow(data, instrument, **options)
    if isinstance(data, pd.DataFrame):
        limits.check_rows(len(data), "<DataFrame>")
        return read_frame(data, instrument, **options)
    records_in = list(data)
    limits.check_rows(len(records_in), "<records>")
    limits.check_json_depth(records_in, "<records>")
    return read_records(records_in, instrument, **options)


def score(
    registry: Registry,
    instrument: str | Instrument,
    data: Responses,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    pseudonymise_key: bytes | None = None,
    limits: Limits = DEFAULT_LIMITS,
    strict: bool | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    **read_options: Any,
) -> Result:
    """Score responses with an instrument's scorers (or the ones named).

    :param scorers: scorer ids or rules to run instead of the instrument's ``scoring`` list.
    :param params: per-scorer parameter overrides, ``{scorer_id: {name: value}}``.
    :param pseudonymise_key: replace respondent ids by keyed hashes on load
        (:func:`aspire_models.privacy.pseudonymise`).
    :param limits: resource limits for reading untrusted input.
    :param strict: stop at the first failing scorer (default: the registry's ``strict``);
        otherwise a failing, slow or misbehaving scorer is reported in ``Result.failures``
        by name and plugin, and the run goes on without it.
    :param timeout: seconds a scorer may take before it is reported as failed (``None``: no limit).
    """
    ins = registry.instrument(instrument) if isinstance(instrument, str) else instrument
    if isinstance(data, str | Path) and "readers" not in read_options:  # plugins' formats too
        read_options["readers"] = list(registry.readers.values())
    responses = load_responses(ins, data, limits=limits, **read_options)
    if pseudonymise_key is not None:
        from aspire_models.privacy import pseudonymise

        responses = pseudonymise(responses, pseudonymise_key)
    return score_responses(registry, responses, scorers=scorers, params=params, strict=strict, timeout=timeout)


def _screen(
    registry: Registry,
    responses: ResponseSet,
    rules: Sequence[ScoringRule],
    params: Mapping[str, Mapping[str, Any]] | None,
) -> ResponseSet:
    """Rows a scorer's parameters make invalid, rejected before any scorer runs. A scorer may
    have a ``screen(responses, params) -> ResponseSet`` method (optional, not part of the
    :class:`~aspire_models.scoring.Scorer` protocol): the diffusion scorer rejects adoptions
    after the end of its observation window there, so that the result's accounting counts
    them and lists why."""
    for rule in rules:
        scorer = registry.scorer(rule.scorer)
        screen = getattr(scorer, "screen", None)
        if callable(screen) and responses.instrument.design in scorer.designs:
            merged = {**rule.params, **(params or {}).get(scorer.id, {})}
            resolved = resolve_params(scorer, merged, where=f"instrument {responses.instrument.id!r}")
            screened = screen(responses, resolved)
            if not isinstance(screened, ResponseSet):
                raise ScoringError(f"scorer {scorer.id!r}: screen returned {type(screened).__name__}")
            responses = screened
    return responses


def _read_only(responses: ResponseSet) -> ResponseSet:
    """Make every array a scorer can reach read-only: scorers share them."""
    arrays: list[np.ndarray[Any, Any]] = [
        responses.answers.data,
        responses.rows,
        responses.organisation.codes,
    ]
    arrays += [c.codes for c in (responses.rater_role, responses.subject, responses.team) if c is not None]
    arrays += list(responses.multi.values()) + list(responses.text.values())
    for arr in arrays:
        arr.flags.writeable = False
    return attrs.evolve(
        responses, multi=MappingProxyType(dict(responses.multi)), text=MappingProxyType(dict(responses.text))
    )


def _call(scorer: Scorer, ctx: ScoringContext, params: Mapping[str, Any], timeout: float | None) -> Any:
    if timeout is None:
        return scorer.score(ctx, params)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"scorer-{scorer.id}")
    try:
        future = pool.submit(scorer.score, ctx, params)
        return future.result(timeout=timeout)
    finally:
        pool.shutdown(wait=False)  # a timed-out scorer's thread is abandoned, its result ignored


def score_responses(
    registry: Registry,
    responses: ResponseSet,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    strict: bool | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Result:
    """Score an already validated :class:`ResponseSet` (see :func:`score`)."""
    strict = registry.strict if strict is None else strict
    ins = responses.instrument
    framework = registry.framework(ins.framework)
    rules = (
        list(ins.scoring) if scorers is None else [r if isinstance(r, ScoringRule) else ScoringRule(r) for r in scorers]
    )
    if not rules:
        raise ScoringError(f"instrument {ins.id!r} names no scorers; pass scorers=[...]")
    responses = _screen(registry, responses, rules, params)
    responses = _read_only(responses)
    ctx = ScoringContext(ins, framework, responses, registry.framework, tuple(registry.norms.values()))
    outputs: list[ScorerOutput] = []
    failures: list[ScorerFailure] = []
    from aspire_models.measured import mark_not_measured, not_measured

    unmeasured = not_measured(ins, responses.missing_columns)  # said in every output, never a low score
    for rule in rules:
        scorer = registry.scorer(rule.scorer)
        plugin = registry.owner("scorer", scorer.id)
        if ins.design not in scorer.designs:
            raise ScoringError(
                f"scorer {scorer.id!r} does not apply to {ins.design} instruments "
                f"(it applies to: {', '.join(scorer.designs)})"
            )
        merged = {**rule.params, **(params or {}).get(scorer.id, {})}
        resolved = resolve_params(scorer, merged, where=f"instrument {ins.id!r}")
        error: Exception | None = None
        try:
            out = _call(scorer, ctx, copy.deepcopy(resolved), timeout)
            if not isinstance(out, ScorerOutput):
                raise ScoringError(f"returned {type(out).__name__}, not ScorerOutput")
            if out.scorer != scorer.id:
                raise ScoringError(f"returned output labelled {out.scorer!r}")
        except FuturesTimeout:
            reason = f"took longer than {timeout:g} s (timeout); left out"
        except Exception as exc:  # isolate any scorer fault, built-in or plugin
            error = exc
            reason = str(exc) if isinstance(exc, AspireError) else f"{type(exc).__name__}: {exc}"
        else:
            out = mark_not_measured(attrs.evolve(out, params=resolved), unmeasured)
            ctx.previous[scorer.id] = out
            outputs.append(out)
            continue
        if strict:  # the scorer's own refusal as it is; anything else as a plugin fault
            if isinstance(error, AspireError):
                raise error
            raise PluginError(plugin, scorer.id, reason) from error
        failures.append(ScorerFailure(scorer.id, plugin, reason))
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
        tuple(failures),
    )

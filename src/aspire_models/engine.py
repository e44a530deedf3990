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
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np

from aspire_models.errors import AspireError, PluginError, Problem, ResponseError, ScoringError
from aspire_models.formats.arrow import read_arrow, read_frame
from aspire_models.formats.csv import read_csv
from aspire_models.formats.records import read_records
from aspire_models.instrument import Instrument, ScoringRule
from aspire_models.limits import DEFAULT_LIMITS, Limits
from aspire_models.registry import Registry
from aspire_models.responses import Rejection, ResponseSet, TextColumns, text_longer_than
from aspire_models.result import Accounting, Provenance, Result, ScorerFailure
from aspire_models.safeio import (
    escape_lone_surrogates,
    find_lone_surrogates,
    has_surrogate_escape,
    parse_json,
    read_json_text,
)
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
    """Read and validate responses from a CSV path, a JSON file or list of records, or a DataFrame,
    or any export the reader layer reads (:mod:`aspire_models.formats`: workbooks, survey
    platforms; ``mapping``, ``format``, ``sheet``, ``header_row`` options).

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
    for name in rs.text:
        at, lengths = text_longer_than(rs.text, name, limit)  # from Arrow text: no Python strings made
        for i, length in zip(at.tolist(), lengths.tolist(), strict=True):
            too_long[i] = True
            row = int(rs.rows[i])
            hits.setdefault(row, []).append(
                Problem(
                    "max-text-length",
                    f"the text is {length:,} characters, over the limit of {limit:,} (Limits.max_text_length)",
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


def _lone_surrogates(records: list[Any], source: str) -> tuple[list[Any], dict[int, list[Problem]]]:
    """Records holding a string with a lone surrogate (``"\\ud800"``, not a character): a
    problem for each (row = record number), and the records with such strings escaped so
    that they can be read and accounted for."""
    hits: dict[int, list[Problem]] = {}
    out = list(records)
    for i, rec in enumerate(records):
        paths = find_lone_surrogates(rec)
        if paths:
            hits[i + 1] = [
                Problem(
                    "unicode",
                    "the text holds a lone surrogate escape (such as \\ud800), which is not a character",
                    path=f"$[{i}]{p[1:]}",
                    file=source,
                    record=i + 1,
                )
                for p in paths
            ]
            out[i] = escape_lone_surrogates(rec)
    return out, hits


def _reject_rows(rs: ResponseSet, hits: Mapping[int, list[Problem]]) -> ResponseSet:
    """Reject the accepted rows in ``hits`` (row number: problems); add the problems to rows
    already rejected."""
    drop = np.isin(rs.rows, np.fromiter(hits, dtype=np.int64, count=len(hits)))
    kept = rs.take(~drop) if drop.any() else rs
    merged = {r.row: r for r in rs.rejected}
    for row, problems in hits.items():
        before = merged.get(row)
        merged[row] = Rejection(row, (*(before.problems if before else ()), *problems))
    return attrs.evolve(kept, rejected=tuple(merged[r] for r in sorted(merged)))


def _load(instrument: Instrument, data: Responses, *, limits: Limits, **options: Any) -> ResponseSet:
    progress = options.pop("progress", None)  # (bytes read, bytes in all), from the CSV and workbook readers
    if isinstance(data, ResponseSet):
        return data
    if isinstance(data, str | Path):
        path = Path(data)
        readers = options.pop("readers", None)  # source-format readers (aspire_models.formats)
        if path.suffix.lower() == ".json":  # read by aspire_models.safeio: limits, named errors
            source, text = read_json_text(
                path, limits=limits, what="response file", max_bytes=limits.max_file_bytes, limit_name="max_file_bytes"
            )
            records = parse_json(text, source, limits=limits, what="response file")
            if not isinstance(records, list):
                raise ResponseError([Problem("type", "a JSON response file must hold a list of records", file=source)])
            limits.check_rows(len(records), source)
            bad: dict[int, list[Problem]] = {}
            if has_surrogate_escape(text):  # reject those records, read the others
                records, bad = _lone_surrogates(records, source)
            rs = read_records(records, instrument, source=source, **options)
            return _reject_rows(rs, bad) if bad else rs
        from aspire_models import formats

        if not formats.fast_path(path, options):  # workbooks, survey exports, other encodings
            return formats.load_export(path, instrument, limits=limits, readers=readers, progress=progress, **options)
        rs = read_csv(path, instrument, limits=limits, progress=progress, **options)
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
    min_group_size: int | None = None,
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
    :param min_group_size: the smallest group of people any scorer may publish, for every
        scorer whose own ``min_group_size`` parameter is not set (default: the instrument
        design's, :data:`DEFAULT_MIN_GROUP_SIZE`). Below the default, the result carries a notice.
    :param read_options: reading options (see :func:`load_responses`), such as
        ``allow_missing_items=True``: score an input without some answer columns, reporting
        each dimension none of whose columns is there as not measured.
    """
    ins = registry.instrument(instrument) if isinstance(instrument, str) else instrument
    if isinstance(data, str | Path) and "readers" not in read_options:  # plugins' formats too
        read_options["readers"] = list(registry.readers.values())
    responses = load_responses(ins, data, limits=limits, **read_options)
    if pseudonymise_key is not None:
        from aspire_models.privacy import pseudonymise

        responses = pseudonymise(responses, pseudonymise_key)
    return score_responses(
        registry,
        responses,
        scorers=scorers,
        params=params,
        strict=strict,
        timeout=timeout,
        min_group_size=min_group_size,
    )


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
    arrays += list(responses.multi.values())
    text = responses.text
    if not isinstance(text, TextColumns):  # (a TextColumns is read-only, and its strings made lazily)
        arrays += list(text.values())
        text = MappingProxyType(dict(text))
    for arr in arrays:
        arr.flags.writeable = False
    return attrs.evolve(responses, multi=MappingProxyType(dict(responses.multi)), text=text)


def _call(scorer: Scorer, ctx: ScoringContext, params: Mapping[str, Any], timeout: float | None) -> Any:
    """Run a scorer in a daemon thread for at most ``timeout`` seconds. A scorer that never
    returns is abandoned (its thread cannot keep the program from exiting); ``SystemExit`` and
    other ``BaseException``s from its code become a :class:`ScoringError` naming them."""
    if timeout is None:
        return scorer.score(ctx, params)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = scorer.score(ctx, params)
        except BaseException as exc:  # contained: reported by scorer and plugin
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"scorer-{scorer.id}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FuturesTimeout()
    error = box.get("error")
    if isinstance(error, Exception):
        raise error
    if error is not None:
        from aspire_models._guard import describe

        raise ScoringError(f"scorer {scorer.id!r}: {describe(error)}")
    return box.get("value")


def score_responses(
    registry: Registry,
    responses: ResponseSet,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    strict: bool | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    min_group_size: int | None = None,
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
    resolved_params, privacy = _thresholds(registry, ins, rules, params, min_group_size)
    responses = _screen(registry, responses, rules, params)
    responses = _read_only(responses)
    ctx = ScoringContext(ins, framework, responses, registry.framework, tuple(registry.norms.values()))
    ctx.min_group_size = min(privacy["min_group_size"].values(), default=privacy["default"])
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
        resolved = resolved_params[scorer.id]
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
    from aspire_models.privacy import Population, dimensions_used, protect

    coded = {"organisation": responses.organisation, "team": responses.team}
    coded |= {"subject": responses.subject, "rater_role": responses.rater_role}
    population = Population.of(coded, dimensions_used(outputs))
    protected, notes = protect(outputs, population)
    # a dimension not measured is said so after protection too (a withheld cell of no data)
    protected = tuple(mark_not_measured(o, unmeasured) for o in protected)
    notices = tuple(privacy["notices"])
    return Result(
        prov,
        Accounting(responses.n_input, responses.n_accepted, responses.n_rejected),
        _redacted(responses.rejected, hide_ids=ins.design == "review-360"),
        protected,
        (*responses.warnings, *notices, *notes),
        tuple(failures),
        {
            "min_group_size": privacy["min_group_size"],
            "defaults": {ins.design: privacy["default"]},
            "notices": list(notices),
            "population": population.to_dict(),
        },
    )


#: How much of a rejected value a result quotes (characters); the rest is cut, marked "…".
EXCERPT = 80


def _excerpt(value: Any) -> Any:
    if isinstance(value, str) and len(value) > EXCERPT:
        return value[:EXCERPT] + "…"
    return value


def _redacted(rejected: Sequence[Rejection], *, hide_ids: bool) -> tuple[Rejection, ...]:
    """Rejections as a result may carry them: each quoted value cut to :data:`EXCERPT`
    characters, and no rater id at all for a 360 (raters are never named in its results)."""
    out = []
    for rej in rejected:
        problems = []
        for p in rej.problems:
            value = p.value
            message = p.message
            if hide_ids and p.field == "respondent_id" and value is not None:
                message = message.replace(repr(value), "(a rater id, withheld)").replace(str(value), "(withheld)")
                value = None
            elif isinstance(value, str) and len(value) > EXCERPT:
                message = message.replace(value, _excerpt(value)).replace(repr(value), repr(_excerpt(value)))
                value = _excerpt(value)
            if len(message) > 4 * EXCERPT:
                message = message[: 4 * EXCERPT] + "…"
            problems.append(attrs.evolve(p, value=value, message=message))
        out.append(Rejection(rej.row, tuple(problems)))
    return tuple(out)


#: The smallest group of people a scorer publishes by default, per instrument design: 5 for
#: staff surveys and self-assessments (the common practice of UK public-sector staff surveys
#: and survey platforms, which report no group under 5 or 10), 3 for a 360's protected rater
#: groups (the usual 360-degree feedback practice; self and line manager are shown by design).
DEFAULT_MIN_GROUP_SIZE: Mapping[str, int] = MappingProxyType(
    {"self-assessment": 5, "review-360": 3, "adoption": 5}
)


def _thresholds(
    registry: Registry,
    ins: Instrument,
    rules: Sequence[ScoringRule],
    params: Mapping[str, Mapping[str, Any]] | None,
    min_group_size: int | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Every scorer's resolved parameters, with ``min_group_size`` filled in from the run's
    (or the design's) default; unknown scorers or parameters in ``params`` are refused."""
    from aspire_models.errors import UnknownIdError

    ids = [r.scorer for r in rules]
    for sid, given in (params or {}).items():
        if sid not in ids:
            raise UnknownIdError("scorer", sid, ids, "--param (the scorers of this run)")
        known = registry.scorer(sid).params_schema.get("properties", {})
        for name in given:
            if name not in known:
                raise UnknownIdError(f"parameter of scorer {sid!r}", name, known, "--param")
    default = DEFAULT_MIN_GROUP_SIZE.get(ins.design, 5)
    run_k = default if min_group_size is None else int(min_group_size)
    if run_k < 1:
        raise ScoringError(f"min_group_size must be at least 1, not {run_k}")
    resolved: dict[str, dict[str, Any]] = {}
    ks: dict[str, int] = {}
    for rule in rules:
        scorer = registry.scorer(rule.scorer)
        merged = {**rule.params, **(params or {}).get(scorer.id, {})}
        takes_k = "min_group_size" in scorer.params_schema.get("properties", {})
        if takes_k and merged.get("min_group_size") is None:
            merged["min_group_size"] = run_k
        resolved[scorer.id] = resolve_params(scorer, merged, where=f"instrument {ins.id!r}")
        if takes_k:
            ks[scorer.id] = int(resolved[scorer.id]["min_group_size"])
    low = {s: k for s, k in ks.items() if k < default}
    notices = (
        [
            f"PRIVACY NOTICE: groups smaller than the default of {default} people are published "
            f"(min_group_size set to {', '.join(f'{k} for {s}' for s, k in sorted(low.items()))})."
        ]
        if low
        else []
    )
    return resolved, {"min_group_size": ks, "default": default, "notices": notices}

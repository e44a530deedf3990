"""Diffusion of innovation for adoption surveys: per practice, Rogers' adopter categories, a
Bass-model fit of adoptions per period with the chasm (16% cumulative adoption) and a forecast
with its prediction band, and per unit an innovativeness score across practices. The methods
are in :mod:`aspire_models.stats.diffusion`.

A unit is one response row (a council, team or person), named by its organisation when the
data has one, else by its respondent id. A blank answer means *not yet adopted*: such units
are right-censored and by default are not counted as laggards (``censored='exclude'``).

**The observation window** is one rule for every practice and every way of running the
scorer (``aspire diffusion``, ``aspire demo diffusion``, reports, the Python API):

* it ends with ``observed_until`` (the survey date) when given, else with the latest adoption
  in the data over *all* practices, so that a practice's trailing periods without adoptions
  are observed zeros, never forecast;
* for each practice it starts at its ``launch`` period when given (one period for all, or
  one per practice), else at its first observed adoption; the Bass clock starts there.

A row reporting an adoption after ``observed_until``, or before a given launch period, is
rejected for the whole run with the rule it broke (``observed-until`` or ``launch``), like any
other invalid row, and the accounting counts it (:meth:`DiffusionScorer.screen`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.errors import Problem, ScoringError, UnknownIdError
from aspire_models.responses import Rejection, ResponseSet
from aspire_models.scoring import ScorerOutput, ScoringContext, Table
from aspire_models.stats import diffusion as dif

__all__ = ["DiffusionScorer", "Window", "observation_window"]

#: what the goodness of fit of the Bass model is computed on
R_SQUARED_ON = "per-period adoptions"


@attrs.frozen
class Window:
    """The observation window of an adoption survey (see the module notes)."""

    #: last observed period, the same for every practice (None: nobody adopted anything)
    observed_until: int | None
    #: ``"given"`` or ``"latest adoption in the data"``
    observed_until_rule: str
    #: per practice, the launch period (None: no adopters and none given)
    launch: Mapping[str, int | None]
    #: per practice, ``"given"`` or ``"first observed adoption"``
    launch_rule: Mapping[str, str]

    def statement(self) -> str:
        """One sentence for people: where the window ends and why."""
        if self.observed_until is None:
            return "No adoptions in the data: no observation window."
        if self.observed_until_rule == "given":
            end = f"observed until {self.observed_until} (observed_until, the survey date)"
        else:
            end = (
                f"observed until {self.observed_until}, the latest adoption in the data over all practices "
                "(set observed_until to the survey date if it was later)"
            )
        given = sorted({r for r in self.launch_rule.values()})
        if given == ["given"]:
            start = "each practice from its given launch period"
        elif given == ["first observed adoption"]:
            start = (
                "each practice from its first observed adoption (no launch period given: if nobody adopted "
                "in the launch period, the Bass clock starts late, p is biased upwards and the peak early)"
            )
        else:
            start = "each practice from its given launch period, else from its first observed adoption"
        return f"Observation window: {end}; {start}."


def _practices(responses: ResponseSet) -> list[str]:
    ins = responses.instrument
    return [ins.item(c.item).element or c.item for c in ins.numeric_columns()]


def observation_window(times: NDArray[np.float64], practices: Sequence[str], params: Mapping[str, Any]) -> Window:
    """The window of ``times`` (units x practices, NaN = not adopted) under ``params``
    (``observed_until``, ``launch``)."""
    spec = params.get("launch")
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(practices))
        if unknown:
            raise UnknownIdError("practice", unknown[0], list(practices), "the launch parameter")
        given: dict[str, int] = {str(k): int(v) for k, v in spec.items()}
    elif spec is not None:
        given = dict.fromkeys(practices, int(spec))
    else:
        given = {}
    launch: dict[str, int | None] = {}
    rule: dict[str, str] = {}
    for j, practice in enumerate(practices):
        t = times[:, j]
        t = t[~np.isnan(t)]
        if practice in given:
            launch[practice], rule[practice] = given[practice], "given"
        else:
            launch[practice] = int(np.floor(t.min())) if t.size else None
            rule[practice] = "first observed adoption"
    if params.get("observed_until") is not None:
        end: int | None = int(params["observed_until"])
        end_rule = "given"
    else:
        finite = times[~np.isnan(times)]
        end = int(np.floor(finite.max())) if finite.size else None
        end_rule = "latest adoption in the data"
    for practice, start in launch.items():
        if start is not None and end is not None and rule[practice] == "given" and start > end:
            raise ScoringError(f"{practice}: the launch period {start} is after the end of the window ({end})")
    return Window(end, end_rule, launch, rule)


@attrs.frozen
class DiffusionScorer:
    """Adopter categories, Bass fit, chasm and forecast per practice; innovativeness per unit."""

    id: str = "diffusion"
    title: str = "Diffusion of innovation"
    description: str = (
        "Per practice: Rogers' adopter categories (standard-deviation rule or rank shares) with observed "
        "against theoretical shares; a Bass model fit (p, q, m with standard errors and intervals, R² of the "
        "per-period adoptions, peak period, the period cumulative adoption crosses 16%) from the launch period "
        "to the end of one observation window, and a forecast with its prediction band. Per unit: "
        "innovativeness (mean standardised adoption time) and its category."
    )
    designs: tuple[str, ...] = ("adoption",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "method": {
                    "enum": ["sd", "rank"],
                    "default": "sd",
                    "description": "Rogers' standard-deviation rule, or rank against the 2.5/13.5/34/34/16 shares.",
                },
                "censored": {
                    "enum": ["exclude", "laggards"],
                    "default": "exclude",
                    "description": "Not-yet-adopters: excluded from the shares (default) or counted as laggards.",
                },
                "horizon": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100,
                    "default": 10,
                    "description": "Periods to forecast after the end of the observation window.",
                },
                "observed_until": {
                    "type": ["integer", "null"],
                    "default": None,
                    "description": "Last period observed (the survey date), the same for every practice; "
                    "default the latest adoption in the data over all practices. Rows with a later "
                    "adoption are rejected.",
                },
                "launch": {
                    "type": ["integer", "object", "null"],
                    "additionalProperties": {"type": "integer"},
                    "default": None,
                    "description": "Launch period, where the Bass clock starts: one period for every "
                    "practice, or {practice: period}; default (and practices not named) the first "
                    "observed adoption. Rows with an adoption before a given launch are rejected.",
                },
                "confidence": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "exclusiveMaximum": 1,
                    "default": 0.95,
                    "description": "Level of the parameter intervals and of the forecast's prediction band.",
                },
            },
        }
    )

    def screen(self, responses: ResponseSet, params: Mapping[str, Any]) -> ResponseSet:
        """Reject the rows that report an adoption outside the observation window: after
        ``observed_until`` (rule ``observed-until``) or before a given launch period (rule
        ``launch``). The engine calls this before any scorer runs, so the result's
        accounting counts these rows as rejected and lists why."""
        times = responses.numeric
        practices = _practices(responses)
        window = observation_window(times, practices, params)
        if window.observed_until is None:
            return responses
        end = float(window.observed_until) + 1.0  # period k holds k <= t < k + 1
        bad: dict[int, list[Problem]] = {}
        cols = responses.numeric_columns
        for j, practice in enumerate(practices):
            t = times[:, j]
            late = np.flatnonzero(t >= end)
            start = window.launch[practice]
            early = (
                np.flatnonzero(t < float(start))
                if start is not None and window.launch_rule[practice] == "given"
                else np.empty(0, dtype=np.intp)
            )
            for i in late.tolist():
                bad.setdefault(i, []).append(
                    Problem(
                        "observed-until",
                        f"adopted in {t[i]:g}, after the end of the observation window ({window.observed_until}, "
                        "observed_until): an adoption cannot be reported before it happens; correct the year "
                        "or the survey date",
                        file=responses.source,
                        record=int(responses.rows[i]),
                        field=cols[j].name,
                        value=float(t[i]),
                    )
                )
            for i in early.tolist():
                bad.setdefault(i, []).append(
                    Problem(
                        "launch",
                        f"adopted in {t[i]:g}, before the launch period {start} given for {practice}",
                        file=responses.source,
                        record=int(responses.rows[i]),
                        field=cols[j].name,
                        value=float(t[i]),
                    )
                )
        if not bad:
            return responses
        keep = np.ones(responses.n_accepted, dtype=bool)
        keep[list(bad)] = False
        kept = responses.take(keep)
        new = [Rejection(int(responses.rows[i]), tuple(p)) for i, p in bad.items()]
        rejected = tuple(sorted((*responses.rejected, *new), key=lambda r: r.row))
        return attrs.evolve(kept, rejected=rejected)

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        ins = ctx.instrument
        data = ctx.data
        cols = ins.numeric_columns()
        if any(c.mode is not None for c in cols):
            raise ScoringError("adoption items take no response modes")
        times = data.numeric  # units x practices, NaN = not adopted
        practices = _practices(data)
        window = observation_window(times, practices, params)
        finite = times[~np.isnan(times)]
        if window.observed_until is not None and finite.size and finite.max() >= window.observed_until + 1:
            raise ScoringError(
                f"adoptions after observed_until={window.observed_until}: score through aspire_models.score, "
                "which rejects those rows first (DiffusionScorer.screen)"
            )
        names = {e.id: e.name for e in ctx.framework.elements}
        if "organisation" in data.source or data.organisation.labels != ("(all)",):
            units = np.asarray(data.organisation.labels, dtype=object)[data.organisation.codes]
        else:
            units = data.respondent_id
        units = np.asarray([str(u) for u in units], dtype=object)
        n_units = len(units)

        cats: dict[str, list[Any]] = {
            k: [] for k in ("practice", "category", "n", "observed_share", "theoretical_share")
        }
        adopters: dict[str, list[Any]] = {k: [] for k in ("practice", "unit", "adopted", "category")}
        fits: dict[str, list[Any]] = {
            k: []
            for k in (
                "practice",
                "status",
                "adopters",
                "units",
                "launch",
                "launch_rule",
                "observed_until",
                "p",
                "p_se",
                "p_ci_low",
                "p_ci_high",
                "q",
                "q_se",
                "q_ci_low",
                "q_ci_high",
                "m",
                "m_se",
                "m_ci_low",
                "m_ci_high",
                "m_bound",
                "r_squared",
                "rmse",
                "n_periods",
                "peak_period",
                "chasm_period",
                "mean_time",
                "sd_time",
                "categories",
            )
        }
        curve: dict[str, list[Any]] = {
            k: []
            for k in (
                "practice",
                "period",
                "kind",
                "adoptions",
                "cumulative",
                "adoptions_low",
                "adoptions_high",
                "cumulative_low",
                "cumulative_high",
            )
        }
        notes: list[str] = [window.statement()]
        for j, practice in enumerate(practices):
            t = times[:, j]
            cls: dif.AdopterClassification | None = None
            refusal = None
            try:
                cls = dif.classify_adopters(t, method=params["method"], censored=params["censored"])
            except dif.AdopterClassificationError as exc:
                refusal = f"refused ({exc})"
                notes.append(f"{practice}: no adopter categories: {exc}")
            if cls is not None:
                for row in cls.table():
                    cats["practice"].append(practice)
                    for k in ("category", "n", "observed_share", "theoretical_share"):
                        cats[k].append(row[k])
            for i, (u, tt) in enumerate(zip(units, t, strict=True)):
                adopters["practice"].append(practice)
                adopters["unit"].append(u)
                adopters["adopted"].append(None if np.isnan(tt) else float(tt))
                adopters["category"].append(cls.categories[i] if cls is not None else None)
            self._fit(practice, t, n_units, window, params, fits, curve, notes, cls, refusal)
        inn = dif.innovativeness(times)
        inn_cls = dif.innovativeness_categories(inn, censored=params["censored"]) if np.isfinite(inn).any() else None
        innov = {
            "unit": list(units),
            "practices_adopted": (~np.isnan(times)).sum(axis=1).tolist(),
            "innovativeness": inn,
            "category": list(inn_cls.categories) if inn_cls else [dif.NOT_ADOPTED] * n_units,
        }
        summary = {
            "practices": [names.get(p, p) for p in practices],
            "units": n_units,
            "observed_until": window.observed_until,
            "observed_until_rule": window.observed_until_rule,
            "launch": dict(window.launch),
            "launch_rule": dict(window.launch_rule),
            "window": window.statement(),
            "r_squared_on": R_SQUARED_ON,
            "forecast_band": (
                "prediction band: delta method on the fit's covariance plus the residual variance of each "
                f"future period, at level {params['confidence']:g}"
            ),
            "status": {p: s for p, s in zip(fits["practice"], fits["status"], strict=True)},
            "chasm_period": {p: c for p, c in zip(fits["practice"], fits["chasm_period"], strict=True)},
        }
        return ScorerOutput(
            self.id,
            params,
            (
                Table("categories", "practice", cats, "Observed versus theoretical share per adopter category."),
                Table(
                    "adopters",
                    "unit",
                    adopters,
                    "Each unit's adoption time and category per practice (no category where the practice's "
                    "adopters could not be classified).",
                ),
                Table(
                    "bass",
                    "practice",
                    fits,
                    "Bass model fit per practice over the observation window (launch to observed_until). "
                    "Status 'fitted'; 'm-at-bound' when the market potential m sits on a bound (m_bound: "
                    "'lower' = the adopters already observed, 'upper'), so that m is not identified and "
                    "there is no forecast; else the reason it was not fitted. r_squared is computed on "
                    "the per-period adoptions, not on the cumulative curve.",
                ),
                Table(
                    "curve",
                    "period",
                    curve,
                    "Per practice and period of the window: observed and fitted adoptions (and cumulative); "
                    "then the forecast after observed_until with its prediction band (_low, _high; the "
                    "cumulative band stops at the number of units in the data).",
                ),
                Table(
                    "innovativeness",
                    "unit",
                    innov,
                    "Mean standardised adoption time across practices (negative = earlier) and its category.",
                ),
            ),
            summary,
            notes,
        )

    def _fit(
        self,
        practice: str,
        t: NDArray[np.float64],
        n_units: int,
        window: Window,
        params: Mapping[str, Any],
        fits: dict[str, list[Any]],
        curve: dict[str, list[Any]],
        notes: list[str],
        cls: dif.AdopterClassification | None,
        refusal: str | None,
    ) -> None:
        adopted = t[~np.isnan(t)]
        row: dict[str, Any] = dict.fromkeys(fits)
        first = window.launch[practice]
        last = window.observed_until
        row.update(
            {
                "practice": practice,
                "adopters": len(adopted),
                "units": n_units,
                "launch": first,
                "launch_rule": window.launch_rule[practice],
                "observed_until": last,
                "mean_time": cls.mean if cls else None,
                "sd_time": cls.sd if cls else None,
                "categories": "classified" if cls else refusal,
            }
        )
        if len(adopted) == 0 or first is None or last is None:
            row["status"] = "no adopters"
        else:
            periods, counts = dif.adoption_counts(adopted, np.arange(first, last + 1))
            try:
                fit = dif.fit_bass(counts, periods=periods, horizon=params["horizon"], confidence=params["confidence"])
            except dif.DiffusionFitError as exc:
                row["status"] = f"not fitted: {exc}"
                notes.append(f"{practice}: Bass model not fitted: {exc}")
                cum = np.cumsum(counts)
                for per, c, cc in zip(periods, counts, cum, strict=True):
                    self._curve(curve, practice, per, "observed", c, cc)
            else:
                row["status"] = fit.status
                row["m_bound"] = fit.m_bound
                for k in (
                    "p",
                    "p_se",
                    "q",
                    "q_se",
                    "m",
                    "m_se",
                    "r_squared",
                    "rmse",
                    "n_periods",
                    "peak_period",
                    "chasm_period",
                ):
                    row[k] = getattr(fit, k)
                for k in ("p", "q", "m"):
                    row[f"{k}_ci_low"], row[f"{k}_ci_high"] = getattr(fit, f"{k}_ci")
                if fit.status == "m-at-bound":
                    notes.append(f"{practice}: {_at_bound_note(fit, n_units)}")
                cum_obs = np.cumsum(counts)
                for i, per in enumerate(fit.periods):
                    self._curve(curve, practice, per, "observed", fit.observed[i], cum_obs[i])
                    self._curve(curve, practice, per, "fitted", fit.fitted[i], fit.cumulative_fitted[i])
                fc = fit.forecast
                # no more units can adopt than there are in the data: the band stops there
                cum_high = np.minimum(fc.cumulative_high, np.maximum(fc.cumulative, n_units))
                for i, per in enumerate(fc.periods):
                    self._curve(
                        curve,
                        practice,
                        per,
                        "forecast",
                        fc.per_period[i],
                        fc.cumulative[i],
                        (fc.per_period_low[i], fc.per_period_high[i], fc.cumulative_low[i], cum_high[i]),
                    )
        for k in fits:
            fits[k].append(row[k])

    @staticmethod
    def _curve(
        curve: dict[str, list[Any]],
        practice: str,
        period: float,
        kind: str,
        value: float,
        cumulative: float | None,
        band: tuple[float, float, float, float] | None = None,
    ) -> None:
        curve["practice"].append(practice)
        curve["period"].append(float(period))
        curve["kind"].append(kind)
        curve["adoptions"].append(float(value))
        curve["cumulative"].append(None if cumulative is None else float(cumulative))
        for k, v in zip(
            ("adoptions_low", "adoptions_high", "cumulative_low", "cumulative_high"), band or (None,) * 4, strict=True
        ):
            curve[k].append(None if v is None else float(v))


def _at_bound_note(fit: dif.BassFit, n_units: int) -> str:
    if fit.m_bound == "lower" and fit.observed.sum() >= n_units:
        why = f"the market potential m sits on its lower bound: all {n_units} units in the data have adopted"
    elif fit.m_bound == "lower":
        why = (
            f"the market potential m sits on its lower bound, the {fit.m:.0f} adopters already observed: the fit "
            "says nobody else will adopt, which the data cannot show"
        )
    else:
        why = f"the market potential m sits on its upper bound ({fit.m:.4g}): adoption shows no sign of slowing down"
    return f"Bass model m-at-bound: {why}; m is not identified, so there are no standard errors and no forecast."

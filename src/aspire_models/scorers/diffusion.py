"""Diffusion of innovation for adoption surveys: per practice, Rogers' adopter categories, a
Bass-model fit of adoptions per period with the chasm (16% cumulative adoption) and forecast,
and per unit an innovativeness score across practices. The methods are in
:mod:`aspire_models.stats.diffusion`.

A unit is one response row (a council, team or person), named by its organisation when the
data has one, else by its respondent id. A blank answer means *not yet adopted*: such units
are right-censored and by default are not counted as laggards (``censored='exclude'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from aspire_models.errors import ScoringError
from aspire_models.scoring import ScorerOutput, ScoringContext, Table
from aspire_models.stats import diffusion as dif

__all__ = ["DiffusionScorer"]


@attrs.frozen
class DiffusionScorer:
    """Adopter categories, Bass fit, chasm and forecast per practice; innovativeness per unit."""

    id: str = "diffusion"
    title: str = "Diffusion of innovation"
    description: str = (
        "Per practice: Rogers' adopter categories (standard-deviation rule or rank shares) with observed "
        "against theoretical shares; a Bass model fit (p, q, m with standard errors and intervals, goodness "
        "of fit, peak period, the period cumulative adoption crosses 16%) and a forecast. Per unit: "
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
                    "description": "Periods to forecast after the last observed period.",
                },
                "observed_until": {
                    "type": ["integer", "null"],
                    "default": None,
                    "description": "Last period observed (e.g. the survey year); default the last adoption.",
                },
                "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.95},
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        ins = ctx.instrument
        data = ctx.data
        cols = ins.numeric_columns()
        if any(c.mode is not None for c in cols):
            raise ScoringError("adoption items take no response modes")
        times = data.numeric  # units x practices, NaN = not adopted
        practices = [ins.item(c.item).element or c.item for c in cols]
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
                "r_squared",
                "rmse",
                "n_periods",
                "peak_period",
                "chasm_period",
                "mean_time",
                "sd_time",
            )
        }
        curve: dict[str, list[Any]] = {k: [] for k in ("practice", "period", "kind", "adoptions", "cumulative")}
        notes: list[str] = []
        for j, practice in enumerate(practices):
            t = times[:, j]
            try:
                cls = dif.classify_adopters(t, method=params["method"], censored=params["censored"])
            except ValueError as exc:
                notes.append(f"{practice}: no adopter categories ({exc})")
                cls = None
            if cls is not None:
                for row in cls.table():
                    cats["practice"].append(practice)
                    for k in ("category", "n", "observed_share", "theoretical_share"):
                        cats[k].append(row[k])
                for u, tt, c in zip(units, t, cls.categories, strict=True):
                    adopters["practice"].append(practice)
                    adopters["unit"].append(u)
                    adopters["adopted"].append(None if np.isnan(tt) else float(tt))
                    adopters["category"].append(c)
            self._fit(practice, t, n_units, params, fits, curve, notes, cls)
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
            "chasm_period": {p: c for p, c in zip(fits["practice"], fits["chasm_period"], strict=True)},
        }
        return ScorerOutput(
            self.id,
            params,
            (
                Table("categories", "practice", cats, "Observed versus theoretical share per adopter category."),
                Table("adopters", "unit", adopters, "Each unit's adoption time and category per practice."),
                Table("bass", "practice", fits, "Bass model fit per practice (status 'fitted' or the reason not)."),
                Table(
                    "curve",
                    "period",
                    curve,
                    "Per practice and period: observed and fitted adoptions (and cumulative), then the forecast.",
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
        t: np.ndarray[Any, Any],
        n_units: int,
        params: Mapping[str, Any],
        fits: dict[str, list[Any]],
        curve: dict[str, list[Any]],
        notes: list[str],
        cls: dif.AdopterClassification | None,
    ) -> None:
        adopted = t[~np.isnan(t)]
        row: dict[str, Any] = dict.fromkeys(fits)
        row.update(
            {
                "practice": practice,
                "adopters": len(adopted),
                "units": n_units,
                "mean_time": cls.mean if cls else None,
                "sd_time": cls.sd if cls else None,
            }
        )
        if len(adopted) == 0:
            row["status"] = "no adopters"
        else:
            first = int(np.floor(adopted.min()))
            last = int(params["observed_until"] if params["observed_until"] is not None else np.floor(adopted.max()))
            if last < np.floor(adopted.max()):
                raise ScoringError(f"{practice}: adoptions after observed_until={last}")
            periods, counts = dif.adoption_counts(adopted, np.arange(first, last + 1))
            try:
                fit = dif.fit_bass(counts, periods=periods, horizon=params["horizon"], confidence=params["confidence"])
            except dif.DiffusionFitError as exc:
                row["status"] = f"not fitted: {exc}"
                notes.append(f"{practice}: Bass model not fitted: {exc}")
                for per, c in zip(periods, counts, strict=True):
                    self._curve(curve, practice, per, "observed", c, None)
            else:
                row["status"] = "fitted"
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
                cum_obs = np.cumsum(counts)
                for i, per in enumerate(fit.periods):
                    self._curve(curve, practice, per, "observed", fit.observed[i], cum_obs[i])
                    self._curve(curve, practice, per, "fitted", fit.fitted[i], fit.cumulative_fitted[i])
                fc = fit.forecast
                for i, per in enumerate(fc.periods):
                    self._curve(curve, practice, per, "forecast", fc.per_period[i], fc.cumulative[i])
        for k in fits:
            fits[k].append(row[k])

    @staticmethod
    def _curve(
        curve: dict[str, list[Any]], practice: str, period: float, kind: str, value: float, cumulative: float | None
    ) -> None:
        curve["practice"].append(practice)
        curve["period"].append(float(period))
        curve["kind"].append(kind)
        curve["adoptions"].append(float(value))
        curve["cumulative"].append(None if cumulative is None else float(cumulative))

"""The :class:`Result` of scoring: provenance, exact accounting, rejections, and each
scorer's tables. Its JSON form is stable (``result.schema.json``) and deterministic: the
same input gives byte-identical JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from aspire_models.errors import UnknownIdError
from aspire_models.responses import Rejection
from aspire_models.scoring import ScorerOutput, Table, json_value

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Accounting", "Provenance", "Result", "ScorerFailure"]

RESULT_SCHEMA_ID = "urn:aspire-models:schema:result:1"


@attrs.frozen
class Provenance:
    library_version: str
    instrument_id: str
    instrument_version: str
    instrument_digest: str
    framework_id: str
    framework_version: str
    source: str
    data_digest: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": {"name": "aspire-models", "version": self.library_version},
            "instrument": {
                "id": self.instrument_id,
                "version": self.instrument_version,
                "sha256": self.instrument_digest,
            },
            "framework": {"id": self.framework_id, "version": self.framework_version},
            "input": {"source": self.source, "sha256": self.data_digest},
        }


@attrs.frozen
class Accounting:
    """Every input row is either accepted (scored) or rejected: ``input == accepted + rejected``."""

    input: int
    accepted: int
    rejected: int

    def __attrs_post_init__(self) -> None:
        if self.input != self.accepted + self.rejected:
            raise AssertionError(f"accounting broken: {self.input} != {self.accepted} + {self.rejected}")


@attrs.frozen
class ScorerFailure:
    """A scorer that raised, returned the wrong type or ran out of time: left out of the result."""

    scorer: str
    plugin: str
    reason: str

    def __str__(self) -> str:
        return f"scorer {self.scorer!r} (plugin {self.plugin!r}) failed: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"scorer": self.scorer, "plugin": self.plugin, "reason": self.reason}


@attrs.frozen
class Result:
    """What :func:`aspire_models.score` returns."""

    provenance: Provenance
    accounting: Accounting
    rejected: tuple[Rejection, ...]
    outputs: tuple[ScorerOutput, ...]
    warnings: tuple[str, ...] = ()
    failures: tuple[ScorerFailure, ...] = ()
    #: disclosure settings: ``min_group_size`` per scorer, the design ``defaults``, ``notices``
    #: (e.g. a threshold set below its default) and the ``population`` the auditor reads
    privacy: Mapping[str, Any] = attrs.field(factory=dict)

    def output(self, scorer_id: str) -> ScorerOutput:
        for o in self.outputs:
            if o.scorer == scorer_id:
                return o
        raise UnknownIdError("scorer output", scorer_id, [o.scorer for o in self.outputs])

    def table(self, scorer_id: str, name: str) -> Table:
        return self.output(scorer_id).table(name)

    def frame(self, scorer_id: str, name: str, *, wide: bool = False) -> pd.DataFrame:
        """A table as a pandas DataFrame.

        Tables are stored as the scorer made them: respondent tables wide (one column per
        dimension), aggregate tables long (one row per element and mode). ``wide=True`` pivots
        a long table with ``element``/``mode`` columns to one column per ``element.mode``.
        """
        df = self.table(scorer_id, name).to_frame()
        if not wide or not {"element", "mode", "mean"} <= set(df.columns):
            return df
        keys = [c for c in ("organisation", "subject", "team") if c in df.columns]
        df = df.assign(dimension=[e if not m else f"{e}.{m}" for e, m in zip(df["element"], df["mode"], strict=True)])
        if not keys:
            return df.set_index("dimension")[["mean"]].T.reset_index(drop=True)
        wide_df = df.pivot_table(index=keys, columns="dimension", values="mean", aggfunc="first", sort=False)
        wide_df.columns.name = None
        return wide_df.reset_index()

    def to_dict(self, *, include_respondents: bool = False) -> dict[str, Any]:
        """JSON-able form. Respondent-level tables (which carry identifiers) are left out
        unless ``include_respondents``."""
        outputs = []
        for o in self.outputs:
            outputs.append(
                {
                    "scorer": o.scorer,
                    "params": {k: json_value(v) for k, v in o.params.items()},
                    "summary": {k: json_value(v) for k, v in o.summary.items()},
                    "notes": list(o.notes),
                    "tables": {t.name: t.to_dict() for t in o.tables if include_respondents or t.level != "respondent"},
                }
            )
        return {
            "schema": RESULT_SCHEMA_ID,
            **self.provenance.to_dict(),
            "accounting": {
                "input": self.accounting.input,
                "accepted": self.accounting.accepted,
                "rejected": self.accounting.rejected,
            },
            "rejected": [r.to_dict() for r in self.rejected],
            "warnings": list(self.warnings),
            "failures": [f.to_dict() for f in self.failures],
            "privacy": dict(self.privacy),
            "outputs": outputs,
        }

    def to_json(self, *, include_respondents: bool = False, indent: int | None = 2) -> str:
        """Deterministic JSON (sorted keys; no timestamps)."""
        return (
            json.dumps(
                self.to_dict(include_respondents=include_respondents),
                indent=indent,
                sort_keys=True,
                ensure_ascii=False,
                allow_nan=False,
            )
            + "\n"
        )

    @classmethod
    def tables_from_dict(cls, data: Mapping[str, Any]) -> dict[str, dict[str, Table]]:
        """Tables of a result document, by scorer and name (for reports on stored results)."""
        return {o["scorer"]: {n: Table.from_dict(n, t) for n, t in o["tables"].items()} for o in data["outputs"]}

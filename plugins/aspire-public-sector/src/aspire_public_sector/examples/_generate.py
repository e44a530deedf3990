"""Regenerate the bundled synthetic example responses:
``python -m aspire_public_sector.examples._generate``.

For every instrument in ``../instruments/`` this writes ``<instrument-id>.csv``: 36-48
fictitious respondents in four fictitious councils ("Council A" to "Council D"), columns
``respondent_id``, ``organisation`` (plus ``rater_role`` when the instrument declares rater
roles) and then exactly the instrument's response columns (:meth:`Instrument.columns`).

The answers are drawn from a simple latent model with a seeded NumPy generator, so the files
are identical on every run: each council has a level per element, each respondent a personal
offset, each answer some noise; reverse-keyed items are answered on the reversed scale, so
their scored values follow the same latent level. A few answers are left blank, and a few
open questions get short made-up comments. Nothing here is real data.
"""

from __future__ import annotations

import csv
import json
import zlib
from pathlib import Path

import numpy as np

from aspire_models.instrument import Instrument, NumericScale

HERE = Path(__file__).parent
INSTRUMENTS = HERE.parent / "instruments"
COUNCILS = ("Council A", "Council B", "Council C", "Council D")
#: how many answers to leave blank in each file
MISSING_ANSWERS = 5
#: share of open questions answered
OPEN_ANSWER_RATE = 0.12
COMMENTS = (
    "More time for managers to talk with their teams.",
    "Clearer priorities from the top.",
    "Share what has worked in other councils.",
    "Fewer forms and sign-offs.",
    "Involve residents earlier.",
    "Training for managers.",
    "Stop duplicating work between services.",
    "Regular feedback on how we are doing.",
)


def seed_for(instrument_id: str) -> int:
    """A fixed seed per instrument (CRC-32 of its id), independent of file order."""
    return zlib.crc32(instrument_id.encode("utf-8"))


def respondents(rng: np.random.Generator) -> list[str]:
    """The organisation of each respondent: 9-12 per council, in council order."""
    sizes = rng.integers(9, 13, size=len(COUNCILS))
    return [c for c, k in zip(COUNCILS, sizes.tolist(), strict=True) for _ in range(k)]


def generate(instrument: Instrument) -> tuple[list[str], list[list[str]]]:
    """Header and rows (as CSV strings) of the example file for one instrument."""
    rng = np.random.default_rng(seed_for(instrument.id))
    orgs = respondents(rng)
    n = len(orgs)
    org_index = np.array([COUNCILS.index(o) for o in orgs])
    elements = sorted({it.element for it in instrument.items if it.element is not None})
    base = rng.uniform(2.6, 3.6)
    # council x element latent levels, and a personal offset per respondent
    level = base + rng.normal(0.0, 0.45, size=(len(COUNCILS), 1)) + rng.normal(0.0, 0.4, size=(1, len(elements)))
    person = rng.normal(0.0, 0.5, size=n)

    columns = instrument.columns()
    cells: list[list[str]] = [["" for _ in columns] for _ in range(n)]
    for j, col in enumerate(columns):
        if col.kind == "numeric":
            item = instrument.item(col.item)
            scale = instrument.scale(item.scale)
            assert isinstance(scale, NumericScale) and item.element is not None
            e = elements.index(item.element)
            latent = level[org_index, e] + person + rng.normal(0.0, 0.7, size=n)
            answer = np.clip(np.rint(latent), scale.min, scale.max)
            if item.reverse:
                answer = scale.min + scale.max - answer
            for i in range(n):
                cells[i][j] = str(int(answer[i]))
        elif col.kind == "text":
            answered = rng.random(n) < OPEN_ANSWER_RATE
            picks = rng.integers(0, len(COMMENTS), size=n)
            for i in np.flatnonzero(answered).tolist():
                cells[i][j] = COMMENTS[int(picks[i])]
        else:  # no multi-select items in this plugin's instruments
            raise AssertionError(f"unexpected column kind {col.kind!r}")

    numeric = [j for j, c in enumerate(columns) if c.kind == "numeric"]
    blank = rng.choice(n * len(numeric), size=MISSING_ANSWERS, replace=False)
    for b in blank.tolist():
        cells[b // len(numeric)][numeric[b % len(numeric)]] = ""

    meta = ["respondent_id", "organisation"]
    roles: list[str] = []
    if instrument.rater_roles:
        meta.append("rater_role")
        ids = instrument.role_ids
        # about two in three forms from the council itself, the rest from peers
        weights = np.array([2.0 if r.is_self else 1.0 for r in instrument.rater_roles])
        roles = [ids[int(k)] for k in rng.choice(len(ids), size=n, p=weights / weights.sum())]
    header = meta + [c.name for c in columns]
    rows = []
    for i in range(n):
        row = [f"R{i + 1:03d}", orgs[i]]
        if roles:
            row.append(roles[i])
        rows.append(row + cells[i])
    return header, rows


def main() -> None:
    for path in sorted(INSTRUMENTS.glob("*.json")):
        instrument = Instrument.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))
        header, rows = generate(instrument)
        out = HERE / f"{instrument.id}.csv"
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        print(f"wrote {out.name}: {len(rows)} respondents")


if __name__ == "__main__":
    main()

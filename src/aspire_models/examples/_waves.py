"""Regenerate the bundled two-wave example: ``python -m aspire_models.examples._waves``.

``aspire-waves-2024.csv`` and ``aspire-waves-2025.csv`` are synthetic answers to the Aspire
self-assessment (``aspire-sop-self-assessment``) from three fictitious councils, one year
apart, made so that the truth is known:

* **Northfield Council** genuinely improved: the same 48 people answered both years
  (respondent ids persist, so the comparison pairs them), and every person's "now" rating
  of every theme rose by 1.5 points on average; "future" ratings did not change.
* **Southmoor Council** changed by noise only: 45 people in 2024 and 52 different people
  in 2025, every answer drawn from the same distribution both years.
* **Little Fenwick Council** had 3 respondents each year: too few to publish (the default
  threshold is 5), so it is withheld in both waves and never compared.

Answers are whole numbers 1-10: a person's level (normal, mean 5, sd 1.2) plus an item's
noise (normal, sd 1), rounded and clipped; "future" ratings sit 2 points above "now".
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
THEMES = (
    "alignment",
    "shared-purpose",
    "leadership",
    "locus-of-engagement",
    "assessment-and-evaluation",
    "balancing-horizons",
    "agility",
    "capability-building",
)
#: the instrument's HR-tools questions, left unanswered in this example
TOOLS = ("hr-tools-used", "hr-tools-needed", "hr-tools-barriers")
FILES = {2024: "aspire-waves-2024.csv", 2025: "aspire-waves-2025.csv"}
IMPROVED, NOISE, SMALL = "Northfield Council", "Southmoor Council", "Little Fenwick Council"
#: the improvement of Northfield's "now" ratings from 2024 to 2025 (points on the 1-10 scale)
LIFT = 1.5
SEED = 2025


def _answers(rng: np.random.Generator, level: np.ndarray, lift: float) -> list[list[int]]:
    rows = []
    for person in level:
        row = []
        for _ in THEMES:
            now = person + lift + rng.normal(0.0, 1.0)
            future = person + 2.0 + rng.normal(0.0, 1.0)
            row += [int(np.clip(round(now), 1, 10)), int(np.clip(round(future), 1, 10))]
        rows.append(row)
    return rows


def waves(seed: int = SEED) -> dict[int, list[list[str]]]:
    """The rows (header first) of each year's file."""
    rng = np.random.default_rng(seed)
    header = ["respondent_id", "organisation"] + [f"{t}.{m}" for t in THEMES for m in ("now", "future")]
    header += list(TOOLS)
    out: dict[int, list[list[str]]] = {year: [header] for year in FILES}
    north = rng.normal(5.0, 1.2, 48)
    for year, lift in ((2024, 0.0), (2025, LIFT)):
        for i, row in enumerate(_answers(rng, north, lift)):
            out[year].append([f"N{i + 1:03d}", IMPROVED, *map(str, row), *[""] * len(TOOLS)])
    for year, n in ((2024, 45), (2025, 52)):
        south = rng.normal(5.0, 1.2, n)
        for i, row in enumerate(_answers(rng, south, 0.0)):
            out[year].append([f"S{year % 100}-{i + 1:03d}", NOISE, *map(str, row), *[""] * len(TOOLS)])
    for year in FILES:
        small = rng.normal(5.0, 1.2, 3)
        for i, row in enumerate(_answers(rng, small, 0.0)):
            out[year].append([f"F{year % 100}-{i + 1}", SMALL, *map(str, row), *[""] * len(TOOLS)])
    return out


def main() -> None:
    for year, rows in waves().items():
        with (HERE / FILES[year]).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main()

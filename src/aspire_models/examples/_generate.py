"""Regenerate the bundled synthetic example files: ``python -m aspire_models.examples._generate``.

``aspire-sop-responses.csv`` is synthetic: five fictitious councils (A-E) with 2 or 4
respondents each, whose council averages, averaged across councils, reproduce exactly the
'Table showing average response scores' of seed 001 (Findings), and whose HR-tools answers
reproduce that paper's tools table counts. The published ranges cannot all be reproduced:
two of them do not contain their own averages (alignment now 8 with range 4-7; locus of
engagement now 5 with range 6-8), so ranges are not matched.
"""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).parent


def _published() -> tuple[dict[str, tuple[float, float]], dict[str, tuple[int, int]], dict[str, int]]:
    """The published figures, read from the bundled reference data ``aspire-2015-averages``
    (seed 001, lines 97-140): (now, future) averages per theme; (used, needed) counts per HR
    tool; barrier counts."""
    ref = json.loads((HERE.parent / "reference" / "aspire-2015-averages.json").read_text(encoding="utf-8"))
    sets = {d["id"]: d for d in ref["datasets"]}
    averages = {r["element"]: (r["now"]["mean"], r["future"]["mean"]) for r in sets["theme-averages"]["rows"]}
    tools = sets["hr-tools"]["rows"]
    return (
        averages,
        {r["id"]: (r["used"], r["needed"]) for r in tools},
        {r["id"]: r["barriers"] for r in tools if r["barriers"]},
    )


#: seed 001, 'Table showing average response scores' (now, future); 'Tools used by councils':
#: (used to date, expected in the future); the barriers listed below it
PUBLISHED, TOOLS, BARRIERS = _published()
COUNCILS = [("Council A", 2), ("Council B", 4), ("Council C", 2), ("Council D", 4), ("Council E", 2)]
OFFSET_PATTERNS = [(-1, 0.5, 0.5, 0, 0), (0.5, -0.5, 0, 0.5, -0.5), (0, 0, 0, 0, 0), (-0.5, 0.5, 0, 0, 0)]
#: the paper notes 'one nil response' for locus of engagement (future): Council B's 4th respondent
NIL = ("locus-of-engagement", "future", 1, 3)


def council_values(mean: Fraction, k: int) -> list[int]:
    """k whole numbers in 1..10 with exactly this mean, spread a little around it."""
    total = mean * k
    assert total.denominator == 1
    base, rem = divmod(int(total), k)
    vals = [base + (1 if i < rem else 0) for i in range(k)]
    if k >= 2 and vals[0] - 1 >= 1 and vals[-1] + 1 <= 10:
        vals[0] -= 1
        vals[-1] += 1
    return vals


def theme_values(target: float, element: str, mode: str) -> dict[tuple[int, int], int | None]:
    for pattern in OFFSET_PATTERNS:
        out: dict[tuple[int, int], int | None] = {}
        ok = True
        for c, ((_, size), off) in enumerate(zip(COUNCILS, pattern, strict=True)):
            m = Fraction(target).limit_denominator(4) + Fraction(off).limit_denominator(4)
            answered = size - (1 if (element, mode, c) == NIL[:3] else 0)
            if (m * answered).denominator != 1 or not 1 <= m <= 10:
                ok = False
                break
            vals = council_values(m, answered)
            for r in range(size):
                out[(c, r)] = None if (element, mode, c, r) == NIL else vals.pop(0)
        if ok:
            return out
    raise AssertionError(f"no feasible pattern for {element} {mode}")


def hrbp360() -> None:
    """hrbp360-responses.csv: two teams of HR business partners with realistic rater mixes,
    including protected groups below the reporting threshold (k = 3)."""
    import numpy as np

    rng = np.random.default_rng(360)
    behaviours = [
        "decisive-thinker",
        "skilled-influencer",
        "personally-credible",
        "collaborative",
        "driven-to-deliver",
        "courage-to-challenge",
    ]
    # subject: (team, organisation, {role: raters}, self bias)
    subjects = {
        "HRBP-01": ("Team North", "Council A", {"peer": 4, "direct-report": 3, "stakeholder": 5}, +0.8),
        "HRBP-02": ("Team North", "Council A", {"peer": 2, "direct-report": 4, "stakeholder": 3}, -0.7),
        "HRBP-03": ("Team North", "Council A", {"peer": 3, "direct-report": 0, "stakeholder": 2}, 0.0),
        "HRBP-04": ("Team South", "Council B", {"peer": 5, "direct-report": 3, "stakeholder": 4}, +0.4),
        "HRBP-05": ("Team South", "Council B", {"peer": 3, "direct-report": 1, "stakeholder": 1}, -0.3),
        "HRBP-06": ("Team South", "Council B", {"peer": 3, "direct-report": 5, "stakeholder": 3}, +1.0),
    }
    strengths = [
        "Clear thinking under pressure.",
        "Builds trust quickly with managers.",
        "Knows the business well.",
        "Always follows through.",
        "Not afraid to challenge the leadership team.",
    ]
    developments = [
        "Could involve stakeholders earlier.",
        "Sometimes decides too quickly.",
        "Needs to push back more often.",
        "Could share more of what they know.",
    ]
    items_per = 3
    header = ["respondent_id", "subject_id", "rater_role", "organisation", "team"]
    header += [f"{b}-{i}" for b in behaviours for i in range(1, items_per + 1)] + ["strengths", "development"]
    rows = []
    n = 0
    for subject, (team, org, mix, bias) in subjects.items():
        level = rng.normal(3.6, 0.5, size=len(behaviours))
        for role, count in [("self", 1), ("line-manager", 1), *mix.items()]:
            for _ in range(count):
                n += 1
                shift = bias if role == "self" else rng.normal(0, 0.3)
                answers = []
                for b in range(len(behaviours)):
                    for _i in range(items_per):
                        v = int(np.clip(np.rint(level[b] + shift + rng.normal(0, 0.5)), 1, 5))
                        answers.append("" if rng.random() < 0.03 else v)
                s_text = strengths[rng.integers(len(strengths))] if rng.random() < 0.5 else ""
                d_text = developments[rng.integers(len(developments))] if rng.random() < 0.4 else ""
                rows.append([f"F{n:04d}", subject, role, org, team, *answers, s_text, d_text])
    path = HERE / "hrbp360-responses.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {path}")


def adoption() -> None:
    """innovation-adoption.csv: 60 fictitious councils reporting the year they adopted each
    practice, drawn from Bass diffusion processes with known p and q (survey year 2025)."""
    import math

    import numpy as np

    rng = np.random.default_rng(2025)
    # practice: (first year, p, q, eventual share adopting)
    practices = {
        "generic-role-profiles": (2008, 0.02, 0.45, 0.95),
        "temporary-talent-transfers": (2012, 0.01, 0.30, 0.80),
        "performance-without-annual-appraisal": (2013, 0.03, 0.55, 0.90),
        "shared-management-team": (2008, 0.015, 0.20, 0.60),
        "digital-hr": (2010, 0.04, 0.50, 1.00),
    }
    n_councils = 60
    survey_year = 2025
    header = ["respondent_id", "organisation", *practices]
    cols = {}
    for name, (start, p, q, share) in practices.items():
        u = rng.random(n_councils)
        t = np.array([-math.log((1 - x) / (1 + x * q / p)) / (p + q) for x in u])
        year = np.floor(start + t)
        never = rng.random(n_councils) > share
        year[never | (year > survey_year)] = np.nan
        cols[name] = year
    path = HERE / "innovation-adoption.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i in range(n_councils):
            vals = ["" if np.isnan(cols[k][i]) else int(cols[k][i]) for k in practices]
            w.writerow([f"U{i + 1:03d}", f"Council {i + 1:02d}", *vals])
    print(f"wrote {path}")


def main() -> None:
    aspire()
    hrbp360()
    adoption()


def aspire() -> None:
    respondents = [(c, r) for c, (_, size) in enumerate(COUNCILS) for r in range(size)]
    cols = {}
    for element, (now, future) in PUBLISHED.items():
        cols[f"{element}.now"] = theme_values(now, element, "now")
        cols[f"{element}.future"] = theme_values(future, element, "future")

    def assign(counts: dict[str, int], start: int) -> list[list[str]]:
        chosen: list[list[str]] = [[] for _ in respondents]
        pos = start
        for option, n in counts.items():
            for _ in range(n):
                chosen[pos % len(respondents)].append(option)
                pos += 3
        return chosen

    used = assign({k: v[0] for k, v in TOOLS.items()}, 0)
    needed = assign({k: v[1] for k, v in TOOLS.items()}, 1)
    barriers = assign(BARRIERS, 2)
    comments = {
        (0, 0): ("leadership-worked", "Clear vision from the chief executive; leaders modelling the behaviours."),
        (1, 1): ("agility-barriers", "Procurement processes and timescales; silo mentalities."),
        (3, 2): ("leadership-help", "Leadership development for managers at all levels."),
        (4, 1): ("alignment-worked", "Management by walking around and regular all-staff briefings."),
    }
    header = [
        "respondent_id",
        "organisation",
        *list(cols),
        "hr-tools-used",
        "hr-tools-needed",
        "hr-tools-barriers",
        "hr-tools-other",
    ]
    comment_cols = sorted({q for q, _ in comments.values()})
    header += comment_cols
    path = HERE / "aspire-sop-responses.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i, (c, r) in enumerate(respondents):
            row: list[object] = [f"R{i + 1:03d}", COUNCILS[c][0]]
            row += ["" if cols[k][(c, r)] is None else cols[k][(c, r)] for k in cols]
            row += [
                ";".join(used[i]),
                ";".join(needed[i]),
                ";".join(barriers[i]),
                "service delivery; management information" if i == 5 else "",
            ]
            row += [
                comments[(c, r)][1] if (c, r) in comments and comments[(c, r)][0] == q else "" for q in comment_cols
            ]
            w.writerow(row)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Priority methods for now/future ratings: the Aspire method and importance-performance analysis.

Both methods take, per element, a *now* rating (where the organisation is) and a *future*
rating (where it needs to be) and compare them **exactly**: every value is read as a
:class:`fractions.Fraction` (integers and fractions as given; a floating-point mean as the
fraction with denominator up to :data:`MAX_DENOMINATOR` that it rounds, which is the mean of
integer sums and counts it was computed from). Equal values are ties and are reported as ties,
never broken silently.

**The Aspire method** (``method="aspire"``) encodes the reasoning of the Aspire commissioning
paper (seed 001, 'Findings', lines 89-95; restated at line 149 and in the 'Conclusions', line
522). Its steps, in the paper's words and the project's exact reading of them:

1. *Key priority*: "the area that was considered by survey respondents as most important for
   the future but had the biggest gap to where respondents believe they are now" (line 91).
   Read as: the element(s) with the highest future rating; whether they also have the biggest
   gap (ties included) is checked and stated. If they do not, they are still the key priority
   and the output says that the paper's second condition does not hold.
2. *Quick wins*: "the next most important themes for the future ... two areas were scored as
   being very close to being achieved at the present time ... because they had the smallest
   gaps" (line 93). Read as: among the other elements whose future rating is at or above the
   median future rating of all elements (the paper does not say where "next most important"
   ends; the median is the project's reading, and the smallest cut that includes agility,
   future 8 in the published table), the ``quick_wins`` (default 2, the paper's "two areas")
   with the smallest gaps; an element tied with the last one taken is taken too, and the tie
   is stated.
3. *Focus*: "alignment and agility, alongside leadership, were identified as those areas which
   organisations will gain most advantage from focussing on at the present time" (line 95):
   the quick wins and the key priority.

Applied to the paper's own table of average response scores (seed 001, lines 99-108) this
gives leadership (future 9, the highest; gap 2, the biggest, a four-way tie with shared
purpose, assessment and evaluation and capability building) and the quick wins alignment and
agility (gap 0.5 each, tied), exactly the paper's three themes.

**Importance-performance analysis** (``method="ipa"``; Martilla, J. A. and James, J. C.
(1977) 'Importance-performance analysis', *Journal of Marketing* 41(1), 77-79) is a general,
recognised method and not the Aspire paper's. Importance is the future rating and performance
the now rating; each element falls in one of the four quadrants of the importance-performance
grid: **concentrate here** (importance high, performance low), **keep up the good work** (both
high), **low priority** (both low) and **possible overkill** (importance low, performance
high). Where the axes cross is a matter of judgement in the method; two documented cut-points
are offered (``cut``): ``"grand-mean"`` (default; the mean over elements of the importance
ratings and of the performance ratings, a data-centred grid) and ``"scale-midpoint"`` (the
middle of the rating scale on both axes). A value equal to its cut counts as high, and every
such element is listed as lying on the cut. Within the grid elements are ranked by quadrant
(in the order above), then by gap, largest first, with equal gaps given equal ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import attrs

__all__ = [
    "ASPIRE_CLASSES",
    "IPA_CLASSES",
    "IPA_CUTS",
    "MAX_DENOMINATOR",
    "METHODS",
    "PriorityFinding",
    "PriorityRow",
    "aspire_priorities",
    "exact",
    "ipa_priorities",
]

#: a floating-point mean is read as the nearest fraction with at most this denominator
MAX_DENOMINATOR = 1_000_000
METHODS = ("aspire", "ipa")
ASPIRE_CLASSES = ("key-priority", "quick-win", "other")
IPA_CLASSES = ("concentrate-here", "keep-up-the-good-work", "low-priority", "possible-overkill")
IPA_CUTS = ("grand-mean", "scale-midpoint")

#: where the Aspire method comes from, for outputs that name it
ASPIRE_SOURCE = "Aspire commissioning paper (seed 001), 'Findings', lines 89-95; line 149; 'Conclusions', line 522"
IPA_SOURCE = "Martilla and James (1977), 'Importance-performance analysis', Journal of Marketing 41(1), 77-79"

PAPER_WORDS = (
    "The area that was considered by survey respondents as most important for the future but had the "
    "biggest gap to where respondents believe they are now, was leadership.",
    "We then looked at the next most important themes for the future and identified that two areas were "
    "scored as being very close to being achieved at the present time. It was hypothesised that this may be "
    "because with the right tools and interventions, these two themes were more readily realised because "
    "they had the smallest gaps. These two areas are alignment and agility.",
    "Consequently alignment and agility, alongside leadership, were identified as those areas which "
    "organisations will gain most advantage from focussing on at the present time.",
)


def exact(x: Any) -> Fraction | None:
    """A rating as an exact fraction; None for a missing value.

    >>> exact(8.5), exact(2), exact(float("nan"))
    (Fraction(17, 2), Fraction(2, 1), None)
    >>> exact(1 / 3 + 1 / 3 + 1 / 3 - 1 / 3)  # float noise is read back as the fraction
    Fraction(2, 3)
    """
    if x is None:
        return None
    if isinstance(x, Fraction | int):
        return Fraction(x)
    v = float(x)
    if math.isnan(v):
        return None
    f = Fraction(v).limit_denominator(MAX_DENOMINATOR)
    return f if abs(float(f) - v) <= 1e-9 * max(1.0, abs(v)) else Fraction(v)


def _num(f: Fraction | None) -> float:
    return math.nan if f is None else float(f)


def _show(f: Fraction | None) -> str:
    if f is None:
        return "missing"
    return f"{float(f):.2f}"


def _and(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_COUNT = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _count(n: int) -> str:
    return _COUNT.get(n, str(n))


def _median(values: Sequence[Fraction]) -> Fraction:
    s = sorted(values)
    k = len(s)
    return s[k // 2] if k % 2 else (s[k // 2 - 1] + s[k // 2]) / 2


@attrs.frozen
class PriorityRow:
    """One element's now, future, gap (exact), class, whether it is a focus, rank and reason."""

    element: str
    now: Fraction | None
    future: Fraction | None
    gap: Fraction | None
    cls: str
    focus: bool
    rank: int | None
    reason: str


@attrs.frozen
class PriorityFinding:
    """What a priority method found: one row per element, in the order given, and the findings."""

    method: str
    rows: tuple[PriorityRow, ...]
    key_priorities: tuple[str, ...]
    quick_wins: tuple[str, ...]
    focus: tuple[str, ...]
    largest_gap: tuple[str, ...]
    largest_gap_value: Fraction | None
    ties: tuple[str, ...]
    reasoning: tuple[str, ...]
    cuts: tuple[tuple[str, Fraction], ...] = ()

    def summary(self) -> dict[str, Any]:
        """JSON-ready findings (the ``gap-priority`` scorer's summary)."""
        out: dict[str, Any] = {
            "method": self.method,
            "method_name": "Aspire method" if self.method == "aspire" else "Importance-performance analysis",
            "method_source": ASPIRE_SOURCE if self.method == "aspire" else IPA_SOURCE,
            "top_priority": self.key_priorities[0] if len(self.key_priorities) == 1 else None,
            "key_priorities": list(self.key_priorities),
            "quick_wins": list(self.quick_wins),
            "focus": list(self.focus),
            "largest_gap": list(self.largest_gap),
            "largest_gap_value": _num(self.largest_gap_value) if self.largest_gap_value is not None else None,
            "ties": list(self.ties),
            "reasoning": list(self.reasoning),
        }
        if self.method == "aspire":
            out["paper_words"] = list(PAPER_WORDS)
        if self.cuts:
            out["cuts"] = {k: float(v) for k, v in self.cuts}
        return out


def _prepare(
    elements: Sequence[str], now: Sequence[Any], future: Sequence[Any]
) -> list[tuple[str, Fraction | None, Fraction | None, Fraction | None]]:
    if not (len(elements) == len(now) == len(future)):
        raise ValueError(f"{len(elements)} elements but {len(now)} now and {len(future)} future ratings")
    if len(set(elements)) != len(elements):
        raise ValueError("element ids must be unique")
    out = []
    for e, n, f in zip(elements, now, future, strict=True):
        en, ef = exact(n), exact(f)
        out.append((e, en, ef, None if en is None or ef is None else ef - en))
    return out


def _largest_gap(
    data: list[tuple[str, Fraction | None, Fraction | None, Fraction | None]],
) -> tuple[tuple[str, ...], Fraction | None]:
    gaps = [g for _, _, _, g in data if g is not None]
    if not gaps:
        return (), None
    top = max(gaps)
    return tuple(e for e, _, _, g in data if g == top), top


def aspire_priorities(
    elements: Sequence[str],
    now: Sequence[Any],
    future: Sequence[Any],
    *,
    quick_wins: int = 2,
    names: dict[str, str] | None = None,
) -> PriorityFinding:
    """The Aspire method (see the module documentation). ``names`` maps element ids to the
    names used in the reasoning sentences (default: the ids).

    >>> f = aspire_priorities(["a", "b", "c", "d", "e"], [5, 8, 6, 4, 7.5], [9, 8.5, 8, 5, 8])
    >>> f.key_priorities, f.quick_wins, f.focus
    (('a',), ('b', 'e'), ('b', 'e', 'a'))
    """
    if quick_wins < 1:
        raise ValueError(f"quick_wins must be at least 1, not {quick_wins}")
    nm = names or {}

    def name(e: str) -> str:
        return nm.get(e, e)

    data = _prepare(elements, now, future)
    rated = [(e, n, f, g) for e, n, f, g in data if g is not None]
    largest, top_gap = _largest_gap(data)
    ties: list[str] = []
    reasoning: list[str] = []
    reasons: dict[str, str] = {}
    if len(largest) > 1:
        ties.append(
            f"Biggest gap: {_count(len(largest))} elements tie at {_show(top_gap)} "
            f"({_and([name(e) for e in largest])})."
        )
    key: tuple[str, ...] = ()
    quick: list[str] = []
    if rated:
        top_future = max(f for _, _, f, _ in rated if f is not None)
        key = tuple(e for e, _, f, _ in rated if f == top_future)
        if len(key) > 1:
            ties.append(
                f"Most important for the future: {_count(len(key))} elements tie at {_show(top_future)} "
                f"({_and([name(e) for e in key])}); all are key priorities."
            )
        on_biggest = [e for e in key if e in largest]
        gap_of = {e: g for e, _, _, g in rated}
        fut_of = {e: f for e, _, f, _ in rated}
        for e in key:
            if e in largest:
                tie = f", tied with {_and([name(x) for x in largest if x != e])}" if len(largest) > 1 else ""
                reasons[e] = (
                    f"most important for the future ({_show(top_future)}, the highest) and the biggest gap "
                    f"({_show(gap_of[e])}{tie})"
                )
            else:
                reasons[e] = (
                    f"most important for the future ({_show(top_future)}, the highest) but not the biggest gap "
                    f"({_show(gap_of[e])}; the biggest is {_show(top_gap)}): the paper's second condition does not hold"
                )
        if on_biggest:
            among = (
                f"; the biggest gap, {_show(top_gap)}, is a {_count(len(largest))}-way tie "
                f"({_and([name(x) for x in largest])}), of which {_and([name(e) for e in on_biggest])} "
                f"{'is' if len(on_biggest) == 1 else 'are'} the most important for the future"
                if len(largest) > 1
                else ""
            )
            reasoning.append(
                f"Most important for the future and with the biggest gap: {_and([name(e) for e in key])} "
                f"(future {_show(top_future)}, gap {_show(top_gap)}){among}."
            )
        else:
            reasoning.append(
                f"Most important for the future: {_and([name(e) for e in key])} (future {_show(top_future)}); "
                f"not the biggest gap ({_and([name(x) for x in largest])}, {_show(top_gap)}), so the paper's "
                "condition 'most important for the future but had the biggest gap' does not hold."
            )
        cut = _median([f for _, _, f, _ in rated if f is not None])
        candidates = sorted(
            ((g, e) for e, _, f, g in rated if e not in key and f is not None and g is not None and f >= cut),
            key=lambda t: t[0],
        )
        if candidates:
            limit = candidates[min(quick_wins, len(candidates)) - 1][0]
            quick = [e for g, e in candidates if g <= limit]
            if len(quick) > quick_wins:
                ties.append(
                    f"Quick wins: {_count(len(quick))} elements are taken, not {quick_wins}, because "
                    f"{_and([name(e) for g, e in candidates if g == limit])} tie on the gap {_show(limit)}."
                )
            smallest = [e for g, e in candidates if g == candidates[0][0]]
            if len(smallest) > 1:
                ties.append(
                    f"Smallest gap among the next most important: {_count(len(smallest))} elements tie at "
                    f"{_show(candidates[0][0])} ({_and([name(e) for e in smallest])})."
                )
            quick = [e for e in elements if e in quick]  # the order given
            for e in quick:
                reasons[e] = (
                    f"among the next most important for the future (future {_show(fut_of[e])}, "
                    f"at or above the median {_show(cut)}), one of the smallest gaps ({_show(gap_of[e])}): a quick win"
                )
            reasoning.append(
                f"Next most important for the future (future at or above the median, {_show(cut)}): "
                f"{_and([name(e) for _, e in sorted(candidates, key=lambda t: elements.index(t[1]))])}; of these "
                f"{_and([name(e) for e in quick])} {'has' if len(quick) == 1 else 'have'} the smallest "
                f"gap{'s' if len(quick) > 1 else ''} "
                f"({', '.join(_show(gap_of[e]) for e in quick)}): the quick wins."
            )
        else:
            reasoning.append("No other element is among the next most important for the future: no quick wins.")
    focus = tuple(quick) + key
    if focus:
        reasoning.append(f"Focus: {_and([name(e) for e in focus])}.")
    gap_rank: dict[str, int] = {}
    for e in key:
        gap_rank[e] = 1
    qgaps = sorted(g for e, _, _, g in rated if e in quick and g is not None)
    for e, _, _, g in rated:
        if e in quick and g is not None:
            gap_rank[e] = len(key) + 1 + sum(1 for x in qgaps if x < g)
    rows = tuple(
        PriorityRow(
            e,
            n,
            f,
            g,
            "key-priority" if e in key else "quick-win" if e in quick else "other",
            e in focus,
            gap_rank.get(e),
            reasons.get(e, "not a focus under the Aspire method" if g is not None else "now or future missing"),
        )
        for e, n, f, g in data
    )
    return PriorityFinding("aspire", rows, key, tuple(quick), focus, largest, top_gap, tuple(ties), tuple(reasoning))


def ipa_priorities(
    elements: Sequence[str],
    now: Sequence[Any],
    future: Sequence[Any],
    *,
    cut: str = "grand-mean",
    scale_min: Any = None,
    scale_max: Any = None,
    names: dict[str, str] | None = None,
) -> PriorityFinding:
    """Importance-performance analysis (see the module documentation); importance is the
    future rating, performance the now rating.

    >>> f = ipa_priorities(["a", "b", "c", "d"], [2, 8, 2, 8], [9, 9, 3, 3], cut="scale-midpoint",
    ...                    scale_min=1, scale_max=10)
    >>> [r.cls for r in f.rows]
    ['concentrate-here', 'keep-up-the-good-work', 'low-priority', 'possible-overkill']
    """
    if cut not in IPA_CUTS:
        raise ValueError(f"cut must be one of {', '.join(IPA_CUTS)}, not {cut!r}")
    nm = names or {}

    def name(e: str) -> str:
        return nm.get(e, e)

    data = _prepare(elements, now, future)
    rated = [(e, n, f, g) for e, n, f, g in data if n is not None and f is not None and g is not None]
    largest, top_gap = _largest_gap(data)
    ties: list[str] = []
    if len(largest) > 1:
        ties.append(
            f"Biggest gap: {_count(len(largest))} elements tie at {_show(top_gap)} "
            f"({_and([name(e) for e in largest])})."
        )
    cuts: tuple[tuple[str, Fraction], ...] = ()
    cls: dict[str, str] = {}
    reasons: dict[str, str] = {}
    reasoning: list[str] = []
    if rated:
        if cut == "grand-mean":
            ci = sum((f for _, _, f, _ in rated if f is not None), Fraction(0)) / len(rated)
            cp = sum((n for _, n, _, _ in rated if n is not None), Fraction(0)) / len(rated)
            how = "the grand means over elements"
        else:
            lo, hi = exact(scale_min), exact(scale_max)
            if lo is None or hi is None:
                raise ValueError("cut='scale-midpoint' needs scale_min and scale_max")
            ci = cp = (lo + hi) / 2
            how = "the scale midpoint"
        cuts = (("importance", ci), ("performance", cp))
        on_cut = []
        for e, n, f, _ in rated:
            assert n is not None and f is not None
            hi_i, hi_p = f >= ci, n >= cp
            if f == ci or n == cp:
                on_cut.append(e)
            c = IPA_CLASSES[0 if hi_i and not hi_p else 1 if hi_i else 2 if not hi_p else 3]
            cls[e] = c
            reasons[e] = (
                f"importance {_show(f)} {'at or above' if hi_i else 'below'} {_show(ci)}, performance {_show(n)} "
                f"{'at or above' if hi_p else 'below'} {_show(cp)}"
            )
        if on_cut:
            ties.append(
                f"On a cut (counted as high): {_and([name(e) for e in on_cut])}; a small change would move "
                f"{'it' if len(on_cut) == 1 else 'them'} to another quadrant."
            )
        reasoning.append(
            f"Importance-performance grid with importance = future rating, performance = now rating, cut at {how} "
            f"(importance {_show(ci)}, performance {_show(cp)})."
        )
        for c in IPA_CLASSES:
            members = [name(e) for e, _, _, _ in rated if cls[e] == c]
            if members:
                reasoning.append(f"{c.replace('-', ' ').capitalize()}: {_and(members)}.")
    order = {c: i for i, c in enumerate(IPA_CLASSES)}
    keys = {e: (order[cls[e]], -g) for e, _, _, g in rated if g is not None}
    rank = {e: 1 + sum(1 for k in keys.values() if k < keys[e]) for e in keys}
    focus = tuple(e for e, _, _, _ in rated if cls[e] == "concentrate-here")
    rows = tuple(
        PriorityRow(e, n, f, g, cls.get(e, "unrated"), e in focus, rank.get(e), reasons.get(e, "now or future missing"))
        for e, n, f, g in data
    )
    return PriorityFinding("ipa", rows, (), (), focus, largest, top_gap, tuple(ties), tuple(reasoning), cuts)

"""A small, dependency-free progress bar for long command-line jobs.

It writes to standard error, and only when standard error is a terminal and the user did
not ask for quiet: piped or redirected output, CI logs and ``--quiet`` get nothing.

>>> import io
>>> with Progress(3, stream=io.StringIO()) as bar:  # not a terminal: silent
...     bar.step("reading")
...     bar.step("scoring")
>>> bar.enabled
False
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from aspire_models.instrument import Instrument, ScoringRule
    from aspire_models.registry import Registry
    from aspire_models.result import Result
    from aspire_models.scoring import Scorer, ScorerOutput, ScoringContext

__all__ = ["Progress", "score_with_progress"]


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or odd streams
        return False


class Progress:
    """``[#####.....]  3/7  scoring gap-priority`` on one terminal line, redrawn in place.

    :param total: the number of steps (the bar is full after ``total`` calls of :meth:`step`
        and :meth:`done`); it may grow with :meth:`add`.
    :param quiet: never draw.
    :param stream: where to draw (default ``sys.stderr``); nothing is drawn unless it is a tty.
    """

    width = 24

    def __init__(self, total: int, *, quiet: bool = False, stream: TextIO | None = None, label: str = "") -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = max(0, total)
        self.count = 0
        self.label = label
        self.enabled = not quiet and _is_tty(self.stream)
        self._last = 0
        self._shown = ""

    def add(self, steps: int) -> None:
        """Announce more steps (e.g. once the number of charts is known)."""
        self.total += max(0, steps)

    def step(self, label: str) -> None:
        """Start the next step: the bar shows the steps finished so far and this label."""
        self.label = label
        self._shown = ""
        self._draw(self.count)
        self.count += 1
        self.total = max(self.total, self.count)

    def advance(self, done: int, total: int) -> None:
        """Progress within the current step (e.g. bytes of a file read, as
        :func:`aspire_models.formats.csv.read_csv` reports them): the bar moves on by the share
        ``done / total`` of one step, and the label shows the amount. Redrawn only when the
        shown figure changes."""
        if not self.enabled or total <= 0 or self.count == 0:
            return
        share = min(max(done, 0), total) / total
        shown = f"{done / 1e6:,.0f} of {total / 1e6:,.0f} MB" if total >= 10**6 else f"{share:.0%}"
        if shown == self._shown:
            return
        self._shown = shown
        self._draw(self.count - 1, share, f"{self.label}: {shown}")

    def _draw(self, done: int, share: float = 0.0, label: str | None = None) -> None:
        if not self.enabled:
            return
        total = max(self.total, 1)
        filled = round(self.width * min(done + share, total) / total)
        label = self.label if label is None else label
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {done:>{len(str(total))}}/{total}  {label}"
        text = text[: max(20, shutil.get_terminal_size((80, 24)).columns - 1)]  # one line, or \r cannot redraw it
        pad = max(0, self._last - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._last = len(text)

    def done(self) -> None:
        """Show the full bar, then clear the line so later messages start clean."""
        if not self.enabled:
            return
        self.label = "done"
        self._draw(self.total)
        self.stream.write("\r" + " " * self._last + "\r")
        self.stream.flush()
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.done()


class _TickingScorer:
    """A scorer that advances a progress bar when it starts (delegates everything else)."""

    def __init__(self, scorer: Scorer, bar: Progress) -> None:
        self._scorer = scorer
        self._bar = bar

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scorer, name)

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        self._bar.step(f"scoring: {self._scorer.id}")
        return self._scorer.score(ctx, params)


class _TickingRegistry:
    """A registry whose scorers advance a progress bar; everything else is the registry's."""

    def __init__(self, registry: Registry, bar: Progress) -> None:
        self._registry = registry
        self._bar = bar

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)

    def scorer(self, scorer_id: str) -> Scorer:
        return cast("Scorer", _TickingScorer(self._registry.scorer(scorer_id), self._bar))


def score_with_progress(
    registry: Registry,
    instrument: Instrument,
    data: Any,
    bar: Progress,
    *,
    scorers: Iterable[str | ScoringRule] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    pseudonymise_key: bytes | None = None,
    min_group_size: int | None = None,
    **read_options: Any,
) -> Result:
    """:func:`aspire_models.score` with one progress step for reading and validating the
    responses and one per scorer (``bar`` gets ``1 + number of scorers`` steps added)."""
    from aspire_models.engine import load_responses, score_responses

    rules = list(instrument.scoring) if scorers is None else list(scorers)
    bar.add(1 + len(rules))
    bar.step("reading and validating responses")
    if bar.enabled:  # the bar moves as a CSV file is read
        read_options = {**read_options, "progress": bar.advance}
    responses = load_responses(instrument, data, **read_options)
    if pseudonymise_key is not None:
        from aspire_models.privacy import pseudonymise

        responses = pseudonymise(responses, pseudonymise_key)
    ticking = cast("Registry", _TickingRegistry(registry, bar))
    return score_responses(
        ticking, responses, scorers=None if scorers is None else rules, params=params, min_group_size=min_group_size
    )

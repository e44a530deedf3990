"""Running plugin code so that no plugin can hang, end or flood the program.

Each call runs in its own *daemon* thread (never a :mod:`concurrent.futures` worker: those
are joined when the interpreter exits, so one call that never returns would keep the
program from exiting). All the calls of one :class:`Batch` share one deadline: however many
plugins are slow, the batch waits at most its budget. A call still running at the deadline
is abandoned (a thread cannot be killed in Python); its result, if it ever comes, is ignored.

Inside a worker thread every exception is contained, :class:`BaseException` included:
``SystemExit`` from ``sys.exit()``, ``KeyboardInterrupt`` raised by the plugin itself,
``GeneratorExit``... A real Ctrl-C of the user is delivered by Python to the main thread
only, which is the thread waiting on the batch, so it still interrupts the program.

>>> batch: Batch[str] = Batch(budget=5.0)
>>> batch.start("a", lambda: 1 + 1)
>>> batch.start("b", lambda: {}["missing"])
>>> sorted((key, o.value, o.error) for key, o in batch.results())
[('a', 2, None), ('b', None, "KeyError: 'missing'")]
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["Batch", "ItemCapExceededError", "Outcome", "call_with_timeout", "consume", "describe"]

#: longest single wait of the main thread (seconds): signals such as Ctrl-C are handled
#: between waits, whichever thread the operating system delivered them to
_SLICE = 0.2


@attrs.frozen
class Outcome:
    """How one guarded call ended: a value, an error (described for people), or a timeout."""

    value: Any = None
    error: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out


def describe(exc: BaseException) -> str:
    """One line naming what plugin code raised (with the notes added to the exception)."""
    notes = "".join(f" ({note})" for note in getattr(exc, "__notes__", ()) if isinstance(note, str))
    if isinstance(exc, SystemExit):
        return f"SystemExit (exit code {exc.code!r}): plugin code tried to end the program{notes}"
    if isinstance(exc, KeyboardInterrupt):
        return f"KeyboardInterrupt (from plugin code, not from the user){notes}"
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__) + notes


class ItemCapExceededError(Exception):
    """An iterable gave more items than allowed."""


def consume(values: Iterable[Any], cap: int) -> list[Any]:
    """The items of ``values``, at most ``cap`` of them: an endless iterator stops at the cap
    (:class:`ItemCapExceededError`) instead of filling memory. An error raised part-way is
    re-raised with a note of how many items came before it."""
    items: list[Any] = []
    try:
        items.extend(itertools.islice(iter(values), cap + 1))
    except BaseException as exc:  # plugin code (SystemExit too): re-raised with the count
        exc.add_note(f"after {len(items)} item(s)")
        raise
    if len(items) > cap:
        raise ItemCapExceededError(f"gave more than {cap:,} items")
    return items


K = TypeVar("K", bound=Hashable)


class Batch(Generic[K]):
    """Plugin calls, each in its own daemon thread, under one shared deadline.

    :param budget: seconds from the creation of the batch until the calls still running
        are abandoned; ``None``: wait as long as they take.
    """

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self._deadline = None if budget is None else time.monotonic() + budget
        self._finished: queue.SimpleQueue[tuple[K, Outcome]] = queue.SimpleQueue()
        self._running: dict[K, None] = {}  # insertion-ordered set
        self._started: set[K] = set()

    def start(self, key: K, call: Callable[[], Any]) -> None:
        """Start ``call()`` in a new daemon thread; its outcome is reported under ``key``."""
        if key in self._started:
            raise ValueError(f"call {key!r} already started")
        self._started.add(key)
        self._running[key] = None
        thread = threading.Thread(target=self._run, args=(key, call), name=f"aspire-plugin {key}", daemon=True)
        thread.start()

    def _run(self, key: K, call: Callable[[], Any]) -> None:
        try:
            outcome = Outcome(value=call())
        except BaseException as exc:  # a worker thread: contain everything plugin code raises
            outcome = Outcome(error=describe(exc))
        self._finished.put((key, outcome))

    def has_started(self, key: K) -> bool:
        return key in self._started

    @property
    def abandoned(self) -> int:
        """Calls given up on (still running after the deadline)."""
        return len(self._running) if self.expired else 0

    @property
    def expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def results(self) -> Iterator[tuple[K, Outcome]]:
        """Outcomes in the order the calls finish, then a timed-out outcome for each call still
        running at the deadline (in the order they were started). Calls started while
        iterating are waited for too, under the same deadline."""
        while self._running:
            left = None if self._deadline is None else max(0.0, self._deadline - time.monotonic())
            try:  # waits in short slices, so that a Ctrl-C is acted on at once
                key, outcome = self._finished.get(timeout=_SLICE if left is None else min(left, _SLICE))
            except queue.Empty:
                if left is None or left > _SLICE:
                    continue
                if self._finished.empty():
                    break
                continue
            self._running.pop(key, None)
            yield key, outcome
        late = list(self._running)
        for key in late:
            yield key, Outcome(timed_out=True)


def call_with_timeout(call: Callable[[], Any], timeout: float | None) -> Outcome:
    """Run one plugin call in a daemon thread and wait at most ``timeout`` seconds: a
    replacement for a :class:`concurrent.futures.ThreadPoolExecutor` whose worker, if it
    never returned, would keep the interpreter from exiting.

    >>> call_with_timeout(lambda: 6 * 7, 1.0).value
    42
    """
    batch: Batch[int] = Batch(timeout)
    batch.start(0, call)
    [(_, outcome)] = list(batch.results())
    return outcome

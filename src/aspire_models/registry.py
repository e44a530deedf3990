"""The :class:`Registry`: collects frameworks, instruments, scorers and norm tables from
plugins through the hooks in :mod:`aspire_models.hookspecs`, validates each, and answers
look-ups.

Nothing happens at import time. A registry is an ordinary object: make as many as you like
(tests make one each), with or without the built-ins and installed entry points.

>>> reg = Registry(entry_points=False)
>>> reg.framework("cipd-sop-eight-themes").element("leadership").name
'Leadership'
"""

from __future__ import annotations

import importlib.metadata as md
import json
from collections.abc import Callable, Iterable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from aspire_models import hookspecs, validation
from aspire_models._guard import Batch, ItemCapExceededError, Outcome, consume, describe
from aspire_models.errors import AspireError, DocumentError, PluginError, UnknownIdError
from aspire_models.framework import Framework
from aspire_models.instrument import Instrument

if TYPE_CHECKING:  # scoring needs numpy and pyarrow: imported when scorers are collected
    from aspire_models.formats.base import Reader
    from aspire_models.scoring import Scorer

__all__ = ["PluginInfo", "PluginProblem", "Registry"]

BUILTIN_PLUGIN = "aspire_models.builtins"
#: the hooks, in the order their contributions are collected
HOOKS = (
    "aspire_frameworks",
    "aspire_instruments",
    "aspire_scorers",
    "aspire_norms",
    "aspire_readers",
    "aspire_report_charts",
)
#: default of :attr:`Registry.hook_timeout`: seconds all plugin code of one batch may take together
DEFAULT_PLUGIN_BUDGET = 20.0
#: default of :attr:`Registry.max_hook_items`: most items one hook may return
DEFAULT_MAX_HOOK_ITEMS = 10_000

T = TypeVar("T")


@attrs.frozen
class PluginInfo:
    """A registered plugin: its name, and the distribution it came from (if installed)."""

    name: str
    distribution: str | None
    version: str | None
    module: str


@attrs.frozen
class PluginProblem:
    """A plugin that failed to load, or a contribution that was refused.

    ``distribution`` is the installed distribution the plugin came from (what to
    ``pip uninstall``), ``None`` for a plugin registered in code.
    """

    plugin: str
    item: str | None
    reason: str
    distribution: str | None = None

    def __str__(self) -> str:
        what = f" item {self.item!r}:" if self.item else ""
        dist = f" (distribution {self.distribution!r})" if self.distribution else ""
        return f"plugin {self.plugin!r}{dist}:{what} {self.reason}"


@attrs.frozen
class _Item:
    """A contribution as read inside the guard: plain JSON data (or why it could not be read),
    so that checking it later runs no plugin code."""

    id: str
    doc: Any = None
    source: str | None = None
    problem: str | None = None


class _RefusedError(ValueError):
    """A contribution that could not be read inside the guard (the message says why)."""


@attrs.frozen
class _Frameworks:
    frameworks: Mapping[str, Framework]
    owners: Mapping[tuple[str, str], str]
    problems: tuple[PluginProblem, ...]


@attrs.frozen
class _Contents:
    frameworks: Mapping[str, Framework]
    instruments: Mapping[str, Instrument]
    scorers: Mapping[str, Scorer]
    norms: Mapping[str, Mapping[str, Any]]
    owners: Mapping[tuple[str, str], str]
    problems: tuple[PluginProblem, ...]


def _read_document(obj: Any) -> tuple[Any, str | None]:
    """A contributed document: a mapping, or a JSON file (path or package resource)."""
    if isinstance(obj, _Item):  # already read inside the guard (see _prepare)
        if obj.problem is not None:
            raise _RefusedError(obj.problem)
        return obj.doc, obj.source
    from aspire_models import safeio
    from aspire_models.errors import InputFileError, Problem
    from aspire_models.limits import DEFAULT_LIMITS

    if isinstance(obj, Path):
        return safeio.load_json(obj, what="plugin document"), str(obj)
    if isinstance(obj, Traversable):  # a package resource: bounded read, same JSON limits
        name = str(obj)
        limit = DEFAULT_LIMITS.max_document_bytes
        with obj.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise InputFileError(
                name, [Problem("max-file-bytes", f"over the limit of {limit:,} bytes (Limits.max_document_bytes)")]
            )
        return safeio.parse_json(safeio.decode_json_text(data, name), name, what="plugin document"), name
    return obj, None


class Registry:
    """Frameworks, instruments, scorers and norms contributed by plugins.

    :param builtins: register :mod:`aspire_models.builtins` (the default plugin).
    :param entry_points: load plugins from installed distributions' ``aspire_models``
        entry points.
    :param plugins: further plugin objects or modules to register (useful in tests).
    :param strict: raise :class:`~aspire_models.errors.PluginError` at the first failing
        plugin or refused contribution instead of reporting it in :attr:`problems`.
    :param hook_timeout: the plugin time budget, in seconds (default 20): how long the
        registry waits, in total, for one batch of plugin code. See *Plugin isolation* below.
        ``None``: wait as long as plugins take.
    :param max_hook_items: most items one hook may return or yield (default 10,000); a hook
        giving more is reported and all its items are left out.

    **Plugin isolation.** Plugin code (everything but the built-in plugin) runs in batches:
    at construction, importing the installed plugins (entry points) and calling every hook
    of every plugin passed or installed; later, at the first look-up after :meth:`register`,
    the hooks of the plugins registered since. Within a batch every import and every hook
    runs at once, each in its own daemon thread, and the batch waits at most
    ``hook_timeout`` seconds **in total**, however many plugins are slow: two hooks that
    never return cost one budget, not two. Code still running when the budget is spent is
    abandoned (a thread cannot be killed; a daemon thread does not keep the program from
    exiting) and reported. Whatever a plugin's code raises, ``SystemExit`` and
    ``KeyboardInterrupt`` included, is caught and reported; a real Ctrl-C reaches the
    waiting main thread and still interrupts. Returned iterables (generators included) are
    consumed inside the guard, at most ``max_hook_items`` items; documents are read and
    copied to plain JSON data there too, so checking them runs no plugin code. Every
    problem is reported once in :attr:`problems`, naming the plugin and its distribution.
    """

    def __init__(
        self,
        *,
        builtins: bool = True,
        entry_points: bool = True,
        plugins: Iterable[object] = (),
        strict: bool = False,
        hook_timeout: float | None = DEFAULT_PLUGIN_BUDGET,
        max_hook_items: int = DEFAULT_MAX_HOOK_ITEMS,
    ) -> None:
        self.strict = strict
        #: the plugin time budget: seconds one batch of plugin code may take in total
        self.hook_timeout = hook_timeout
        #: most items one hook may return or yield
        self.max_hook_items = max_hook_items
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._info: dict[str, PluginInfo] = {}
        self._load_problems: list[PluginProblem] = []
        # (plugin, hook) -> how calling it ended; each hook of each plugin is called once
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._trusted: set[str] = set()  # the built-in plugin: called directly, lazily
        # plugin name -> (distribution, version) for installed plugins, loaded or not
        self._origins: dict[str, tuple[str | None, str | None]] = {}
        self._abandoned = 0
        self._contents: _Contents | None = None
        self._framework_stage: _Frameworks | None = None
        if builtins:
            from aspire_models import builtins as builtin_plugin

            if self.register(builtin_plugin, name=BUILTIN_PLUGIN) in self._info:
                self._trusted.add(BUILTIN_PLUGIN)
        self._first_batch(list(self._entry_points()) if entry_points else [], list(plugins))

    # -- plugins --------------------------------------------------------------------------
    def register(
        self, plugin: object, name: str | None = None, *, distribution: str | None = None, version: str | None = None
    ) -> str:
        """Register a plugin object or module; returns the name it is known by.

        Its hooks are called (under the guard) at the next look-up."""
        name, error = self._add(plugin, name, distribution, version)
        if error:
            self._problem(name, None, error)
        return name

    def _add(
        self, plugin: object, name: str | None, distribution: str | None, version: str | None
    ) -> tuple[str, str | None]:
        """Register with pluggy; the name, and why it could not be registered (or ``None``)."""
        if name is None:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:  # pluggy validates hook implementations
            return name, f"cannot register: {exc}"
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
        if distribution is None and name == BUILTIN_PLUGIN:
            distribution, version = "aspire-models", _own_version()
        self._info[name] = PluginInfo(name, distribution, version, module)
        self._contents = None
        self._framework_stage = None
        return name, None

    def _entry_points(self) -> list[md.EntryPoint]:
        """The installed plugins' entry points, by name (reading metadata runs no plugin code)."""
        found = sorted(md.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name)
        for ep in found:
            self._origins[ep.name] = (ep.dist.name, ep.dist.version) if ep.dist else (None, None)
        return found

    def _first_batch(self, entry_points: list[md.EntryPoint], plugins: list[object]) -> None:
        """Import the entry points and call every hook of every plugin but the built-in one,
        all at once under one budget; register the plugins in a fixed order whatever order
        their imports finish in (built-in, entry points by name, then ``plugins``)."""
        if not entry_points and not plugins:
            return
        batch: Batch[tuple[str, ...]] = Batch(self.hook_timeout)
        wanted: dict[str, md.EntryPoint] = {}
        for ep in entry_points:
            if ep.name in self._info or ep.name in wanted:
                self._problem(ep.name, None, f"a plugin named {ep.name!r} is already registered")
                continue
            wanted[ep.name] = ep
            batch.start(("load", ep.name), ep.load)
        given: list[str] = []
        for plugin in plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            if name in wanted:
                self._problem(name, None, f"cannot register: a plugin named {name!r} is installed (entry point)")
                continue
            given.append(self.register(plugin))
        self._start_hooks(batch)
        failed: dict[str, str] = {}
        for key, outcome in batch.results():
            if key[0] == "load":
                ep = wanted[key[1]]
                if outcome.timed_out:
                    failed[ep.name] = f"importing entry point {ep.value!r} {self._timeout_text()}"
                elif not outcome.ok:
                    failed[ep.name] = f"failed to load entry point {ep.value!r}: {outcome.error}"
                else:
                    dist, ver = self._origins.get(ep.name, (None, None))
                    name, error = self._add(outcome.value, ep.name, dist, ver)
                    if error:
                        failed[ep.name] = error
                    elif not batch.expired:
                        self._start_hooks(batch)
                    else:  # loaded at the very end of the budget: no time left for its hooks
                        self._time_out_hooks(name)
            else:
                self._outcomes[(key[1], key[2])] = outcome
        self._abandoned += batch.abandoned
        order = {name: n for n, name in enumerate([*self._trusted, *wanted, *given])}
        self._info = dict(sorted(self._info.items(), key=lambda kv: order.get(kv[0], len(order))))
        for name in wanted:
            if name in failed:
                self._problem(name, None, failed[name])

    def _impls(self, name: str) -> dict[str, Callable[[], Any]]:
        """The hook functions of one registered plugin, by hook name."""
        out: dict[str, Callable[[], Any]] = {}
        for hook_name in HOOKS:
            for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
                if impl.plugin_name == name:
                    out[hook_name] = impl.function
        return out

    def _start_hooks(self, batch: Batch[tuple[str, ...]]) -> None:
        """Start, in ``batch``, every hook of every untrusted plugin not called yet."""
        for name in self._info:
            if name in self._trusted:
                continue
            for hook_name, function in self._impls(name).items():
                key = ("hook", name, hook_name)
                if (name, hook_name) not in self._outcomes and not batch.has_started(key):
                    batch.start(key, _hook_call(function, hook_name, self.max_hook_items))

    def _time_out_hooks(self, name: str) -> None:
        for hook_name in self._impls(name):
            self._outcomes.setdefault((name, hook_name), Outcome(timed_out=True))

    def _outcome(self, name: str, hook_name: str, function: Callable[[], Any]) -> Outcome:
        """How calling one plugin's hook ended: called now if it was not called before (the
        built-in plugin directly; any other in a batch with every other hook not called yet)."""
        if (name, hook_name) not in self._outcomes:
            if name in self._trusted:
                try:
                    outcome = Outcome(value=_hook_call(function, hook_name, self.max_hook_items)())
                except Exception as exc:
                    outcome = Outcome(error=describe(exc))
                self._outcomes[(name, hook_name)] = outcome
            else:
                batch: Batch[tuple[str, ...]] = Batch(self.hook_timeout)
                self._start_hooks(batch)
                for key, outcome in batch.results():
                    self._outcomes[(key[1], key[2])] = outcome
                self._abandoned += batch.abandoned
        return self._outcomes[(name, hook_name)]

    def _timeout_text(self) -> str:
        budget = "no" if self.hook_timeout is None else f"{self.hook_timeout:g} s"
        return (
            f"did not finish within the plugin time budget of {budget} (timeout; Registry.hook_timeout, "
            "aspire --plugin-timeout): abandoned and left out"
        )

    def _hook_failure(self, hook_name: str, outcome: Outcome) -> str | None:
        """Why a hook's contributions are all left out, or ``None``."""
        if outcome.timed_out:
            return f"hook {hook_name} {self._timeout_text()}"
        if outcome.error is not None:
            return f"hook {hook_name} raised {outcome.error}; its contributions are left out"
        if isinstance(outcome.value, str):
            return outcome.value
        return None

    def _hook_problems(self) -> list[PluginProblem]:
        """Hooks that failed as a whole, among those called so far, in registration order."""
        found: list[PluginProblem] = []
        for name in self._info:
            for hook_name in HOOKS:
                outcome = self._outcomes.get((name, hook_name))
                reason = None if outcome is None else self._hook_failure(hook_name, outcome)
                if reason:
                    found.append(self._make_problem(name, None, reason))
        return found

    def _distribution(self, plugin: str) -> tuple[str | None, str | None]:
        info = self._info.get(plugin)
        if info is not None and info.distribution:
            return info.distribution, info.version
        return self._origins.get(plugin, (None, None))

    def _make_problem(self, plugin: str, item: str | None, reason: str) -> PluginProblem:
        return PluginProblem(plugin, item, reason, self._distribution(plugin)[0])

    def _strict_error(self, plugin: str, item: str | None, reason: str) -> PluginError:
        dist = self._distribution(plugin)[0]
        remedy = f" (to remove the plugin: pip uninstall {dist})" if dist and plugin not in self._trusted else ""
        return PluginError(plugin, item, reason + remedy)

    def _problem(self, plugin: str, item: str | None, reason: str) -> None:
        if self.strict:
            raise self._strict_error(plugin, item, reason)
        self._load_problems.append(self._make_problem(plugin, item, reason))

    def plugins(self) -> tuple[PluginInfo, ...]:
        """The registered plugins, in registration order."""
        return tuple(self._info.values())

    @property
    def problems(self) -> tuple[PluginProblem, ...]:
        """Plugins that failed and contributions that were refused (empty when all is well),
        each once: plugins that failed to load, hooks that failed as a whole (raised, timed
        out, returned the wrong type or too many items), then refused contributions."""
        refused = self._collect().problems
        return tuple(dict.fromkeys([*self._load_problems, *self._hook_problems(), *refused]))

    @property
    def framework_problems(self) -> tuple[PluginProblem, ...]:
        """Plugins that failed to load, hooks that failed (of those called so far) and refused
        frameworks: the part of :attr:`problems` found without collecting instruments,
        scorers and norms."""
        refused = self._collect_frameworks().problems
        return tuple(dict.fromkeys([*self._load_problems, *self._hook_problems(), *refused]))

    @property
    def abandoned(self) -> int:
        """Plugin calls abandoned so far because the time budget ran out (their threads may
        still be running: daemon threads, which do not keep the program from exiting)."""
        return self._abandoned

    def problem_report(self, problems: Iterable[PluginProblem] | None = None, *, limit: int = 5) -> list[str]:
        """One paragraph per plugin with problems (default: all of :attr:`problems`): its
        distribution, what went wrong (the first ``limit`` problems and a count of the rest),
        and how to remove it. What the command line prints as warnings."""
        by_plugin: dict[str, list[PluginProblem]] = {}
        for p in dict.fromkeys(self.problems if problems is None else problems):
            by_plugin.setdefault(p.plugin, []).append(p)
        paragraphs = []
        for plugin, found in by_plugin.items():
            dist, version = self._distribution(plugin)
            origin = f" from distribution {dist!r}" + (f" {version}" if version else "") if dist else ""
            what = f"{len(found)} problems; what they concern is" if found[1:] else "1 problem; what it concerns is"
            lines = [f"plugin {plugin!r}{origin}: {what} left out"]
            for p in found[:limit]:
                lines.append("  " + (f"item {p.item!r}: " if p.item else "") + p.reason)
            if len(found) > limit:
                lines.append(f"  ... and {len(found) - limit} more (`aspire plugins` lists them all)")
            if plugin in self._trusted:
                lines.append("  this is a bug in aspire-models itself: please report it")
            elif dist:
                lines.append(f"  to remove the plugin: pip uninstall {dist}  (or run aspire with --no-plugins)")
            else:
                info = self._info.get(plugin)
                where = f" (module {info.module})" if info else ""
                lines.append(f"  the plugin{where} was registered in code, not installed: leave it out there")
            paragraphs.append("\n".join(lines))
        return paragraphs

    # -- collection -----------------------------------------------------------------------
    def _call(self, hook_name: str, problems: list[PluginProblem]) -> list[tuple[str, Any]]:
        """The contributions to one hook, plugin by plugin in registration order. A hook that
        failed as a whole is left out here and reported by :meth:`_hook_problems` (in strict
        mode: raised here)."""
        out: list[tuple[str, Any]] = []
        hook = getattr(self._pm.hook, hook_name)
        functions = {impl.plugin_name: impl.function for impl in hook.get_hookimpls()}
        for name in self._info:
            if name not in functions:
                continue
            outcome = self._outcome(name, hook_name, functions[name])
            reason = self._hook_failure(hook_name, outcome)
            if reason:
                if self.strict:
                    raise self._strict_error(name, None, reason)
                continue
            out.extend((name, item) for item in outcome.value)
        return out

    def _record(self, problems: list[PluginProblem], plugin: str, item: str | None, reason: str) -> None:
        if self.strict:
            raise self._strict_error(plugin, item, reason)
        problems.append(self._make_problem(plugin, item, reason))

    def _collect_frameworks(self) -> _Frameworks:
        """The frameworks alone: all that listing or showing frameworks needs, so that doing so
        does not import and check every scorer and instrument. :meth:`_collect` starts from it."""
        if self._framework_stage is not None:
            return self._framework_stage
        problems: list[PluginProblem] = []
        owners: dict[tuple[str, str], str] = {}
        frameworks: dict[str, Framework] = {}
        for plugin, item in self._call("aspire_frameworks", problems):
            try:
                if isinstance(item, Framework):
                    fw = item
                else:
                    doc, src = _read_document(item)
                    fw = Framework.from_dict(doc, source=src)
            except (AspireError, OSError, ValueError, TypeError, KeyError) as exc:
                self._record(problems, plugin, _item_name(item), _reason(exc))
                continue
            if fw.id in frameworks:
                self._record(
                    problems,
                    plugin,
                    fw.id,
                    f"duplicate framework id {fw.id!r}: already contributed by plugin {owners[('framework', fw.id)]!r}",
                )
                continue
            frameworks[fw.id] = fw
            owners[("framework", fw.id)] = plugin
        self._framework_stage = _Frameworks(
            MappingProxyType(dict(sorted(frameworks.items()))), MappingProxyType(owners), tuple(problems)
        )
        return self._framework_stage

    def _collect(self) -> _Contents:
        if self._contents is not None:
            return self._contents
        stage = self._collect_frameworks()
        problems: list[PluginProblem] = list(stage.problems)
        owners: dict[tuple[str, str], str] = dict(stage.owners)

        def accept(kind: str, store: dict[str, T], plugin: str, obj: T, obj_id: str) -> None:
            if obj_id in store:
                self._record(
                    problems,
                    plugin,
                    obj_id,
                    f"duplicate {kind} id {obj_id!r}: already contributed by plugin {owners[(kind, obj_id)]!r}",
                )
                return
            store[obj_id] = obj
            owners[(kind, obj_id)] = plugin

        frameworks: dict[str, Framework] = dict(stage.frameworks)

        instruments: dict[str, Instrument] = {}
        sources: dict[str, str | None] = {}
        for plugin, item in self._call("aspire_instruments", problems):
            try:
                src = None
                if isinstance(item, Instrument):
                    ins = item
                else:
                    doc, src = _read_document(item)
                    ins = Instrument.from_dict(doc, source=src)
            except (AspireError, OSError, ValueError, TypeError, KeyError) as exc:
                self._record(problems, plugin, _item_name(item), _reason(exc))
                continue
            accept("instrument", instruments, plugin, ins, ins.id)
            sources.setdefault(ins.id, src)

        scorers: dict[str, Scorer] = {}
        for plugin, item in self._call("aspire_scorers", problems):
            reason = _scorer_problem(item)
            if reason:
                self._record(problems, plugin, getattr(item, "id", None) or type(item).__name__, reason)
                continue
            accept("scorer", scorers, plugin, item, item.id)

        # what loads is what validates: framework references, scales, scoring rules
        # (aspire_models.checks, also run by load_instrument and `aspire validate`)
        from aspire_models.checks import check_instrument

        for iid, ins in list(instruments.items()):
            try:
                instruments[iid] = check_instrument(ins, frameworks, scorers, source=sources.get(iid))
            except DocumentError as exc:
                self._record(problems, owners[("instrument", iid)], iid, _reason(exc))
                del instruments[iid]

        norms: dict[str, Mapping[str, Any]] = {}
        for plugin, item in self._call("aspire_norms", problems):
            try:
                doc, src = _read_document(item)
                validation.check(doc, "norms", source=src or f"norm table {_item_name(item)}")
            except (AspireError, OSError, ValueError, TypeError, KeyError) as exc:
                self._record(problems, plugin, _item_name(item), _reason(exc))
                continue
            accept("norm table", norms, plugin, MappingProxyType(dict(doc)), str(doc["id"]))

        self._contents = _Contents(
            MappingProxyType(dict(sorted(frameworks.items()))),
            MappingProxyType(dict(sorted(instruments.items()))),
            MappingProxyType(dict(sorted(scorers.items()))),
            MappingProxyType(dict(sorted(norms.items()))),
            MappingProxyType(owners),
            tuple(problems),
        )
        return self._contents

    # -- look-ups -------------------------------------------------------------------------
    @property
    def frameworks(self) -> Mapping[str, Framework]:
        """The frameworks. Asking for them collects and checks frameworks only; instruments,
        scorers and norms (and their problems) are collected when first asked for."""
        return self._collect_frameworks().frameworks

    @property
    def instruments(self) -> Mapping[str, Instrument]:
        return self._collect().instruments

    @property
    def scorers(self) -> Mapping[str, Scorer]:
        return self._collect().scorers

    @property
    def norms(self) -> Mapping[str, Mapping[str, Any]]:
        return self._collect().norms

    @property
    def readers(self) -> Mapping[str, Reader]:
        """Source-format readers (``aspire_readers`` hook), by id, in registration order:
        the built-in formats first. A refused reader is reported in :attr:`problems`."""
        problems: list[PluginProblem] = []
        found: dict[str, Reader] = {}
        for plugin, item in self._call("aspire_readers", problems):
            reason = item.problem if isinstance(item, _Item) else _reader_problem(item)
            if reason is None and item.id in found:
                reason = f"duplicate reader id {item.id!r}"
            if reason is not None:
                self._record(problems, plugin, getattr(item, "id", None) or type(item).__name__, reason)
                continue
            found[item.id] = item
        self._load_problems.extend(p for p in problems if p not in self._load_problems)
        return MappingProxyType(found)

    def framework(self, framework_id: str) -> Framework:
        return _get(self.frameworks, "framework", framework_id)

    def instrument(self, instrument_id: str) -> Instrument:
        return _get(self.instruments, "instrument", instrument_id)

    def scorer(self, scorer_id: str) -> Scorer:
        return _get(self.scorers, "scorer", scorer_id)

    def norm_table(self, norms_id: str) -> Mapping[str, Any]:
        return _get(self.norms, "norm table", norms_id)

    def owner(self, kind: str, item_id: str) -> str:
        """Name of the plugin that contributed an item (kind: framework, instrument, scorer)."""
        if kind == "framework":
            return self._collect_frameworks().owners[(kind, item_id)]
        return self._collect().owners[(kind, item_id)]

    def load_instrument(self, path: str | Path) -> Instrument:
        """Read an instrument document from a file and run on it every check a contributed
        instrument passes (:func:`aspire_models.checks.check_instrument`: framework references,
        scales, scorers and their parameters, against this registry)."""
        from aspire_models.checks import check_instrument
        from aspire_models.safeio import load_json

        p = Path(path)
        ins = Instrument.from_dict(load_json(p, what="instrument file"), source=str(p))
        return check_instrument(ins, self.frameworks, self.scorers, source=str(p))

    def bind(self, instrument: Instrument, *, source: str | None = None) -> Instrument:
        """Check an instrument against this registry's frameworks and fill its option lists.

        An unknown framework is reported like any other broken reference, at ``$.framework``.
        """
        try:
            framework = self.framework(instrument.framework)
        except UnknownIdError as exc:
            raise DocumentError(source or f"instrument {instrument.id!r}", [exc.as_problem("$.framework")]) from None
        return instrument.bind(framework, self.framework)

    def report_charts(self) -> tuple[Any, ...]:
        """Charts plugins contribute to reports (hook ``aspire_report_charts``), each checked
        to have a ``scorer`` id, a ``title`` and a ``draw`` method; a refused one is reported
        in :attr:`problems` (or raises, in strict mode)."""
        found: list[PluginProblem] = []
        charts = []
        for plugin, item in self._call("aspire_report_charts", found):
            if isinstance(item, _Item):  # checked inside the guard, and refused
                self._record(found, plugin, item.id, item.problem or "not a report chart")
                continue
            charts.append(item)
        self._load_problems.extend(p for p in found if p not in self._load_problems)
        return tuple(charts)


def _get(store: Mapping[str, T], what: str, wanted: str) -> T:
    try:
        return store[wanted]
    except KeyError:
        raise UnknownIdError(what, wanted, store) from None


def _item_name(item: Any) -> str:
    if isinstance(item, _Item):
        return item.id
    if isinstance(item, Mapping):
        return str(item.get("id", "<document without id>"))
    if isinstance(item, Path | Traversable):
        return getattr(item, "name", str(item))
    return getattr(item, "id", None) or type(item).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _RefusedError):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc}"
    return str(exc) if isinstance(exc, AspireError) else f"{type(exc).__name__}: {exc}"


def _scorer_problem(item: Any) -> str | None:
    if isinstance(item, _Item):  # checked inside the guard already (see _prepare)
        return item.problem or "not a scorer"
    for attr in ("id", "title", "description"):
        if not isinstance(getattr(item, attr, None), str):
            return f"a scorer needs a string attribute {attr!r}"
    if not callable(getattr(item, "score", None)):
        return "a scorer needs a score(ctx, params) method"
    schema = getattr(item, "params_schema", None)
    if not isinstance(schema, Mapping):
        return "a scorer needs a params_schema mapping (a JSON Schema object)"
    from aspire_models.scoring import check_schema_is_valid

    try:
        check_schema_is_valid(schema)
    except AspireError as exc:
        return str(exc)
    designs = getattr(item, "designs", None)
    if not isinstance(designs, tuple) or not all(isinstance(d, str) for d in designs):
        return "a scorer needs a designs tuple of instrument designs it applies to"
    return None


def _hook_call(function: Callable[[], Any], hook_name: str, cap: int) -> Callable[[], list[Any] | str]:
    """What runs inside the guard for one hook: call it, check what it returned, consume it
    (at most ``cap`` items) and read each item (:func:`_prepare`). A string: why the hook's
    contributions are all refused."""

    def call() -> list[Any] | str:
        result = function()
        if result is None:
            return []
        if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
            return f"hook {hook_name} must return a list, got {type(result).__name__}"
        try:
            items = consume(result, cap)
        except ItemCapExceededError as exc:
            return f"hook {hook_name} {exc} (the limit is Registry.max_hook_items); all its contributions are left out"
        return [_prepare(hook_name, item) for item in items]

    return call


def _prepare(hook_name: str, item: Any) -> Any:
    """One contribution, read inside the guard: a scorer checked (or an :class:`_Item` saying
    why not), a model object as it is, or a document read and copied to plain JSON data."""
    if hook_name == "aspire_report_charts":
        from aspire_models.reports.plugins import problem as chart_problem

        reason = chart_problem(item)
        if reason is None:
            return item
        title = getattr(item, "title", None)
        return _Item(title if isinstance(title, str) else type(item).__name__, problem=reason)
    if hook_name in ("aspire_scorers", "aspire_readers"):
        problem = _scorer_problem(item) if hook_name == "aspire_scorers" else _reader_problem(item)
        if problem is None:
            return item
        name = getattr(item, "id", None)
        return _Item(name if isinstance(name, str) else type(item).__name__, problem=problem)
    if isinstance(item, Framework | Instrument):
        return item
    try:
        name = _item_name(item)
    except Exception:
        name = type(item).__name__
    try:
        doc, source = _read_document(item)
        return _Item(name, _plain(doc, "$"), source)
    except Exception as exc:
        return _Item(name, problem=_reason(exc))


#: deepest nesting copied by :func:`_plain` (documents are limited far below this later)
_MAX_PLAIN_DEPTH = 200


def _plain(value: Any, path: str, depth: int = 0) -> Any:
    """A copy of a document made of dict, list, str, int, float, bool and None only."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if depth >= _MAX_PLAIN_DEPTH:
        raise ValueError(f"{path}: nested deeper than {_MAX_PLAIN_DEPTH} levels")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, child in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a string")
            out[str.__str__(key)] = _plain(child, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_plain(child, f"{path}[{n}]", depth + 1) for n, child in enumerate(value)]
    for kind in (bool, int, float, str):  # subclasses (an enum member, numpy.float64...)
        if isinstance(value, kind):
            return kind(value)
    raise TypeError(f"{path}: a {type(value).__name__} is not JSON data")


def _reader_problem(item: Any) -> str | None:
    """Why a contributed reader cannot be used, or ``None``."""
    for attr in ("id", "title"):
        if not isinstance(getattr(item, attr, None), str) or not getattr(item, attr):
            return f"a reader needs a string attribute {attr!r}"
    for method in ("sniff", "read"):
        if not callable(getattr(item, method, None)):
            return f"a reader needs a {method}() method"
    return None


def _own_version() -> str:
    from aspire_models import __version__

    return __version__


def default_registry(*, strict: bool = False) -> Registry:
    """A registry with the built-ins and every installed plugin (what the CLI uses)."""
    return Registry(strict=strict)

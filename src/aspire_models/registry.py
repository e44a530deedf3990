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
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, TypeVar

import attrs
import pluggy

from aspire_models import hookspecs, validation
from aspire_models.errors import AspireError, DocumentError, PluginError, UnknownIdError
from aspire_models.framework import Framework
from aspire_models.instrument import Instrument
from aspire_models.scoring import Scorer, check_schema_is_valid

__all__ = ["PluginInfo", "PluginProblem", "Registry"]

BUILTIN_PLUGIN = "aspire_models.builtins"

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
    """A plugin that failed to load, or a contribution that was refused."""

    plugin: str
    item: str | None
    reason: str

    def __str__(self) -> str:
        what = f" item {self.item!r}:" if self.item else ""
        return f"plugin {self.plugin!r}:{what} {self.reason}"


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
    if isinstance(obj, Path | Traversable):
        name = str(obj)
        return json.loads(obj.read_text(encoding="utf-8")), name
    return obj, None


class Registry:
    """Frameworks, instruments, scorers and norms contributed by plugins.

    :param builtins: register :mod:`aspire_models.builtins` (the default plugin).
    :param entry_points: load plugins from installed distributions' ``aspire_models``
        entry points.
    :param plugins: further plugin objects or modules to register (useful in tests).
    :param strict: raise :class:`~aspire_models.errors.PluginError` at the first failing
        plugin or refused contribution instead of reporting it in :attr:`problems`.
    :param hook_timeout: seconds one plugin's hook may take; a slower plugin is reported and
        left out (its thread is abandoned). ``None``: no limit.
    """

    def __init__(
        self,
        *,
        builtins: bool = True,
        entry_points: bool = True,
        plugins: Iterable[object] = (),
        strict: bool = False,
        hook_timeout: float | None = 60.0,
    ) -> None:
        self.strict = strict
        self.hook_timeout = hook_timeout
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._info: dict[str, PluginInfo] = {}
        self._load_problems: list[PluginProblem] = []
        self._contents: _Contents | None = None
        if builtins:
            from aspire_models import builtins as builtin_plugin

            self.register(builtin_plugin, name=BUILTIN_PLUGIN)
        if entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self.register(plugin)

    # -- plugins --------------------------------------------------------------------------
    def register(
        self, plugin: object, name: str | None = None, *, distribution: str | None = None, version: str | None = None
    ) -> str:
        """Register a plugin object or module; returns the name it is known by."""
        if name is None:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:  # pluggy validates hook implementations
            self._problem(name, None, f"cannot register: {exc}")
            return name
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
        if distribution is None and name == BUILTIN_PLUGIN:
            distribution, version = "aspire-models", _own_version()
        self._info[name] = PluginInfo(name, distribution, version, module)
        self._contents = None
        return name

    def _load_entry_points(self) -> None:
        for ep in sorted(md.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            ver = ep.dist.version if ep.dist else None
            if ep.name in self._info:
                self._problem(ep.name, None, f"a plugin named {ep.name!r} is already registered")
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._problem(ep.name, None, f"failed to load entry point {ep.value!r}: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, name=ep.name, distribution=dist, version=ver)

    def _problem(self, plugin: str, item: str | None, reason: str) -> None:
        if self.strict:
            raise PluginError(plugin, item, reason)
        self._load_problems.append(PluginProblem(plugin, item, reason))

    def plugins(self) -> tuple[PluginInfo, ...]:
        """The registered plugins, in registration order."""
        return tuple(self._info.values())

    @property
    def problems(self) -> tuple[PluginProblem, ...]:
        """Plugins that failed and contributions that were refused (empty when all is well)."""
        return tuple(self._load_problems) + self._collect().problems

    # -- collection -----------------------------------------------------------------------
    def _call(self, hook_name: str, problems: list[PluginProblem]) -> list[tuple[str, Any]]:
        """Call one hook on each plugin separately, so a failing plugin is isolated."""
        out: list[tuple[str, Any]] = []
        hook = getattr(self._pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order (pluggy calls them in reverse)
            try:
                result = self._run_hook(impl.function)
            except FuturesTimeout:
                self._record(
                    problems,
                    impl.plugin_name,
                    None,
                    f"hook {hook_name} took longer than {self.hook_timeout:g} s (timeout); left out",
                )
                continue
            except Exception as exc:
                self._record(problems, impl.plugin_name, None, f"hook {hook_name} raised {type(exc).__name__}: {exc}")
                continue
            if result is None:
                continue
            if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
                self._record(
                    problems,
                    impl.plugin_name,
                    None,
                    f"hook {hook_name} must return a list, got {type(result).__name__}",
                )
                continue
            out.extend((impl.plugin_name, item) for item in result)
        return out

    def _run_hook(self, function: Callable[[], Any]) -> Any:
        if self.hook_timeout is None:
            return function()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aspire-hook")
        try:
            return pool.submit(function).result(timeout=self.hook_timeout)
        finally:
            pool.shutdown(wait=False)

    def _record(self, problems: list[PluginProblem], plugin: str, item: str | None, reason: str) -> None:
        if self.strict:
            raise PluginError(plugin, item, reason)
        problems.append(PluginProblem(plugin, item, reason))

    def _collect(self) -> _Contents:
        if self._contents is not None:
            return self._contents
        problems: list[PluginProblem] = []
        owners: dict[tuple[str, str], str] = {}

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
            accept("framework", frameworks, plugin, fw, fw.id)

        def lookup(fid: str) -> Framework:
            try:
                return frameworks[fid]
            except KeyError:
                raise UnknownIdError("framework", fid, frameworks) from None

        instruments: dict[str, Instrument] = {}
        for plugin, item in self._call("aspire_instruments", problems):
            try:
                if isinstance(item, Instrument):
                    ins = item
                else:
                    doc, src = _read_document(item)
                    ins = Instrument.from_dict(doc, source=src)
                ins = ins.bind(lookup(ins.framework), lookup)
            except (AspireError, OSError, ValueError, TypeError, KeyError) as exc:
                self._record(problems, plugin, _item_name(item), _reason(exc))
                continue
            accept("instrument", instruments, plugin, ins, ins.id)

        scorers: dict[str, Scorer] = {}
        for plugin, item in self._call("aspire_scorers", problems):
            reason = _scorer_problem(item)
            if reason:
                self._record(problems, plugin, getattr(item, "id", None) or type(item).__name__, reason)
                continue
            accept("scorer", scorers, plugin, item, item.id)

        # instruments' scoring rules must name known scorers with valid parameters
        for iid, ins in list(instruments.items()):
            for n, rule in enumerate(ins.scoring):
                if rule.scorer not in scorers:
                    err = UnknownIdError("scorer", rule.scorer, scorers)
                    self._record(problems, owners[("instrument", iid)], iid, f"$.scoring[{n}].scorer: {err.message}")
                    del instruments[iid]
                    break
                try:
                    from aspire_models.scoring import resolve_params

                    resolve_params(scorers[rule.scorer], rule.params, where=f"instrument {iid!r} $.scoring[{n}]")
                except DocumentError as exc:
                    self._record(problems, owners[("instrument", iid)], iid, _reason(exc))
                    del instruments[iid]
                    break

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
        return self._collect().frameworks

    @property
    def instruments(self) -> Mapping[str, Instrument]:
        return self._collect().instruments

    @property
    def scorers(self) -> Mapping[str, Scorer]:
        return self._collect().scorers

    @property
    def norms(self) -> Mapping[str, Mapping[str, Any]]:
        return self._collect().norms

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
        return self._collect().owners[(kind, item_id)]

    def load_instrument(self, path: str | Path) -> Instrument:
        """Read an instrument document from a file and bind it to this registry's frameworks."""
        p = Path(path)
        ins = Instrument.from_dict(json.loads(p.read_text(encoding="utf-8")), source=str(p))
        return self.bind(ins, source=str(p))

    def bind(self, instrument: Instrument, *, source: str | None = None) -> Instrument:
        """Check an instrument against this registry's frameworks and fill its option lists.

        An unknown framework is reported like any other broken reference, at ``$.framework``.
        """
        try:
            framework = self.framework(instrument.framework)
        except UnknownIdError as exc:
            raise DocumentError(source or f"instrument {instrument.id!r}", [exc.as_problem("$.framework")]) from None
        return instrument.bind(framework, self.framework)


def _get(store: Mapping[str, T], what: str, wanted: str) -> T:
    try:
        return store[wanted]
    except KeyError:
        raise UnknownIdError(what, wanted, store) from None


def _item_name(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("id", "<document without id>"))
    if isinstance(item, Path | Traversable):
        return getattr(item, "name", str(item))
    return getattr(item, "id", None) or type(item).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc}"
    return str(exc) if isinstance(exc, AspireError) else f"{type(exc).__name__}: {exc}"


def _scorer_problem(item: Any) -> str | None:
    for attr in ("id", "title", "description"):
        if not isinstance(getattr(item, attr, None), str):
            return f"a scorer needs a string attribute {attr!r}"
    if not callable(getattr(item, "score", None)):
        return "a scorer needs a score(ctx, params) method"
    schema = getattr(item, "params_schema", None)
    if not isinstance(schema, Mapping):
        return "a scorer needs a params_schema mapping (a JSON Schema object)"
    try:
        check_schema_is_valid(schema)
    except AspireError as exc:
        return str(exc)
    designs = getattr(item, "designs", None)
    if not isinstance(designs, tuple) or not all(isinstance(d, str) for d in designs):
        return "a scorer needs a designs tuple of instrument designs it applies to"
    return None


def _own_version() -> str:
    from aspire_models import __version__

    return __version__


def default_registry(*, strict: bool = False) -> Registry:
    """A registry with the built-ins and every installed plugin (what the CLI uses)."""
    return Registry(strict=strict)

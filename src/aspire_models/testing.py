"""Test helpers for plugin authors: pytest fixtures, sample responses made from an
instrument, and :func:`check_plugin`, which checks every contribution of a plugin.

This module is a pytest plugin, registered through the ``pytest11`` entry point of
aspire-models, so its fixtures are available in any test suite once aspire-models is
installed (with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add ``-p aspire_models.testing``).
Tell it which plugin you test with a fixture of your own in ``conftest.py``::

    import pytest
    import my_plugin

    @pytest.fixture(scope="session")
    def aspire_plugin():
        return my_plugin

or with ``aspire_plugin = "my_plugin"`` under ``[tool.pytest.ini_options]``. Then:

``aspire_registry``
    a :class:`~aspire_models.registry.Registry` with the built-ins and your plugin only
    (no other installed plugin), strict: a refused contribution fails the test.
``aspire_sample_responses``
    a function ``(instrument_id, n=40, seed=0) -> list of records`` making valid responses
    to one of the registry's instruments (see :func:`sample_records`).

And without pytest, :func:`check_plugin` and :func:`sample_records` are plain functions:

>>> from aspire_models import Registry
>>> reg = Registry(entry_points=False)
>>> records = sample_records(reg.instrument("aspire-sop-self-assessment"), n=3, seed=1)
>>> len(records), records[0]["respondent_id"], records[0]["organisation"]
(3, 'R0001', 'Organisation A')
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs
import pytest

if TYPE_CHECKING:
    from aspire_models.instrument import Instrument
    from aspire_models.registry import Registry
    from aspire_models.result import Result

__all__ = [
    "PluginCheck",
    "PluginCheckError",
    "aspire_plugin",
    "aspire_registry",
    "aspire_sample_responses",
    "check_plugin",
    "plugin_registry",
    "sample_records",
    "write_sample_csv",
]

#: organisations the sample responses are spread over
SAMPLE_ORGANISATIONS = ("Organisation A", "Organisation B", "Organisation C")
#: teams the sample responses are spread over
SAMPLE_TEAMS = ("Team 1", "Team 2", "Team 3", "Team 4")
#: what a sample respondent writes in an open question (when they write anything)
SAMPLE_COMMENT = "A sample comment."


# -- registries and sample responses ---------------------------------------------------------
def plugin_registry(*plugins: object, builtins: bool = True, strict: bool = True) -> Registry:
    """A registry with the built-ins (unless ``builtins=False``) and the given plugin modules
    or objects, and no installed plugin: what a plugin's tests should score with."""
    from aspire_models.registry import Registry

    return Registry(builtins=builtins, entry_points=False, plugins=plugins, strict=strict)


def sample_records(
    instrument: Instrument,
    n: int = 40,
    *,
    seed: int = 0,
    missing: float = 0.05,
    organisations: Sequence[str] = SAMPLE_ORGANISATIONS,
    teams: Sequence[str] = SAMPLE_TEAMS,
) -> list[dict[str, Any]]:
    """``n`` valid response records for ``instrument`` (JSON-style: one dict per respondent,
    multi-select answers as lists), the same for the same ``seed``.

    Answers are drawn uniformly from each scale (whole numbers on integer scales), a share
    ``missing`` of them left out; each respondent has an organisation and a team, taken in
    turn from ``organisations`` and ``teams``. For a 360 instrument, respondents rate
    subjects ``S01``, ``S02``... in turn; each subject's first rater takes the self role
    (if the instrument has one), the others the remaining roles in turn. An instrument bound
    to a registry (``registry.instrument(id)``) has its multi-select options filled in.
    """
    from aspire_models.instrument import MultiSelectScale, NumericScale

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = random.Random(seed)
    self_roles = [r.id for r in instrument.rater_roles if r.is_self]
    other_roles = [r.id for r in instrument.rater_roles if not r.is_self]
    n_subjects = max(1, n // 6) if instrument.rater_roles else 0
    records: list[dict[str, Any]] = []
    for i in range(n):
        rec: dict[str, Any] = {
            "respondent_id": f"R{i + 1:04d}",
            "organisation": organisations[i % len(organisations)],
            "team": teams[(i // len(organisations)) % len(teams)],
        }
        if instrument.rater_roles:
            subject, turn = i % n_subjects, i // n_subjects
            rec["subject_id"] = f"S{subject + 1:02d}"
            if turn == 0 and self_roles:
                rec["rater_role"] = self_roles[0]
            else:
                roles = other_roles or self_roles
                rec["rater_role"] = roles[turn % len(roles)]
        for col in instrument.columns():
            if col.kind != "text" and rng.random() < missing:
                continue
            scale = instrument.scale(col.scale) if col.scale else None
            if isinstance(scale, NumericScale):
                if scale.integer:
                    rec[col.name] = rng.randint(int(scale.min), int(scale.max))
                else:
                    rec[col.name] = round(rng.uniform(scale.min, scale.max), 2)
            elif isinstance(scale, MultiSelectScale):
                options = [o.id for o in scale.options]
                rec[col.name] = sorted(rng.sample(options, rng.randint(0, min(3, len(options))))) if options else []
            elif rng.random() < 0.3:
                rec[col.name] = SAMPLE_COMMENT
        records.append(rec)
    return records


def write_sample_csv(instrument: Instrument, path: str | Path, n: int = 40, *, seed: int = 0) -> Path:
    """:func:`sample_records` as a CSV file (multi-select answers joined with ``;``)."""
    records = sample_records(instrument, n, seed=seed)
    meta = ["respondent_id", "organisation", "team"]
    if instrument.rater_roles:
        meta += ["subject_id", "rater_role"]
    names = meta + [c.name for c in instrument.columns()]
    p = Path(path)
    with p.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(names)
        for rec in records:
            row = [rec.get(name, "") for name in names]
            writer.writerow([";".join(v) if isinstance(v, list) else v for v in row])
    return p


# -- checking a plugin -----------------------------------------------------------------------
class PluginCheckError(AssertionError):
    """:func:`check_plugin` found problems; the message lists every one."""

    def __init__(self, plugin: str, problems: Sequence[str]) -> None:
        self.plugin = plugin
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"plugin {plugin!r}: {len(self.problems)} problem(s):\n{listed}")


@attrs.frozen
class PluginCheck:
    """What :func:`check_plugin` checked: the plugin's contributions (ids) and, per
    instrument scored, the result of scoring its sample responses."""

    plugin: str
    frameworks: tuple[str, ...]
    instruments: tuple[str, ...]
    scorers: tuple[str, ...]
    norms: tuple[str, ...]
    results: Mapping[str, Result]


def check_plugin(
    plugin: object,
    *,
    n: int = 40,
    seed: int = 0,
    sources: str | Path | None = None,
    registry: Registry | None = None,
) -> PluginCheck:
    """Check every contribution of a plugin (a module or object with ``@hookimpl``
    functions) and return what was checked; raise :class:`PluginCheckError` listing every
    problem found.

    * The plugin registers with the built-ins without any problem (every document is valid
      against its schema and the framework it names; scorers have ids, titles, descriptions,
      designs and a valid parameter schema whose defaults validate).
    * Quoted definitions: with ``sources`` (a folder; by default the ``sources`` folder
      beside the plugin's module, if there is one), each element citing a document found
      there with lines must quote text that is in those lines.
    * Each of its instruments scores ``n`` :func:`sample_records`: every record accepted,
      every scorer of the instrument runs without failing, the result's JSON is valid.
    * Each of its scorers that none of its instruments runs is run alone on sample responses
      to an instrument of a design it applies to.

    ``registry``: check against this registry instead of the built-ins and the plugin alone
    (it must hold the plugin).
    """
    from aspire_models.engine import score
    from aspire_models.errors import AspireError
    from aspire_models.scoring import resolve_params

    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    problems: list[str] = []
    reg = registry if registry is not None else plugin_registry(plugin, strict=False)
    problems += [str(p) for p in reg.problems]

    def own(kind: str, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(i for i in ids if reg.owner(kind, i) == name)

    frameworks = own("framework", reg.frameworks)
    instruments = own("instrument", reg.instruments)
    scorers = own("scorer", reg.scorers)
    norms = own("norm table", reg.norms)
    if not (frameworks or instruments or scorers or norms) and not problems:
        problems.append("contributes nothing: no hook returned a framework, instrument, scorer or norm table")

    folder = Path(sources) if sources is not None else _sources_beside(plugin)
    if folder is not None:
        for fid in frameworks:
            problems += _check_quotations(reg.framework(fid), folder)

    for sid in scorers:
        try:
            resolve_params(reg.scorer(sid), None, where="its defaults")
        except AspireError as exc:
            problems.append(f"scorer {sid!r}: its default parameters do not validate: {exc}")

    results: dict[str, Result] = {}

    def run(instrument_id: str, only: str | None) -> None:
        ins = reg.instrument(instrument_id)
        what = f"instrument {instrument_id!r}" + (f" with scorer {only!r} alone" if only else "")
        try:
            records = sample_records(ins, n, seed=seed)
            result = score(reg, ins, records, scorers=[only] if only else None, strict=False)
            json.loads(result.to_json())
        except Exception as exc:  # reported, with what was being done
            problems.append(f"{what}: scoring sample responses raised {type(exc).__name__}: {exc}")
            return
        acc = result.accounting
        if acc.rejected:
            first = "; ".join(str(p) for p in result.rejected[0].problems)
            problems.append(f"{what}: {acc.rejected} of {acc.input} sample responses rejected (first: {first})")
        for f in result.failures:
            problems.append(f"{what}: {f}")
        wanted = [only] if only else [r.scorer for r in ins.scoring]
        done = {o.scorer for o in result.outputs}
        for sid in wanted:
            if sid not in done and not any(f.scorer == sid for f in result.failures):
                problems.append(f"{what}: scorer {sid!r} produced no output")
        results[instrument_id if not only else f"{instrument_id}/{only}"] = result

    for iid in instruments:
        run(iid, None)
    used = {r.scorer for iid in instruments for r in reg.instrument(iid).scoring}
    for sid in scorers:
        if sid in used:
            continue
        designs = reg.scorer(sid).designs
        candidates = [i for i in instruments if reg.instrument(i).design in designs]
        candidates += [i for i, ins in reg.instruments.items() if ins.design in designs and i not in candidates]
        if not candidates:
            applies = ", ".join(designs)
            problems.append(f"scorer {sid!r}: no instrument of a design it applies to ({applies}) to run it on")
            continue
        run(candidates[0], sid)

    if problems:
        raise PluginCheckError(name, problems)
    return PluginCheck(name, frameworks, instruments, scorers, norms, results)


def _sources_beside(plugin: object) -> Path | None:
    file = getattr(plugin, "__file__", None)
    if not isinstance(plugin, ModuleType) or not file:
        return None
    folder = Path(file).parent / "sources"
    return folder if folder.is_dir() else None


def _check_quotations(framework: Any, folder: Path) -> list[str]:
    """Each quoted definition is in the lines its element cites (white space aside)."""
    out: list[str] = []
    texts: dict[str, list[str] | None] = {}
    for e in framework.elements:
        doc, lines = e.source.document, e.source.lines
        if e.definition_status != "quoted" or lines is None:
            continue
        if doc not in texts:
            path = folder / doc
            texts[doc] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else None
        text = texts[doc]
        if text is None:
            continue
        first, last = lines
        cited = " ".join(" ".join(text[first - 1 : last]).split())
        if e.definition is None or " ".join(e.definition.split()) not in cited:
            out.append(
                f"framework {framework.id!r} element {e.id!r}: its quoted definition is not in {doc}, "
                f"lines {first}-{last} (which read: {cited[:120]!r})"
            )
    return out


# -- pytest fixtures ---------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aspire_plugin", "module name of the aspire-models plugin under test (aspire_models.testing)")


@pytest.fixture(scope="session")
def aspire_plugin(request: pytest.FixtureRequest) -> object:
    """The plugin under test: the module named by the ``aspire_plugin`` ini option. Override
    this fixture in your ``conftest.py`` to return the module (or object) instead."""
    import importlib

    spec = request.config.getini("aspire_plugin")
    if not spec:
        pytest.fail(
            "aspire_models.testing does not know which plugin to test: set aspire_plugin = \"your_module\" "
            "under [tool.pytest.ini_options], or define a fixture aspire_plugin returning your module",
            pytrace=False,
        )
    return importlib.import_module(str(spec))


@pytest.fixture(scope="session")
def aspire_registry(aspire_plugin: object) -> Registry:
    """The built-ins and the plugin under test, no other installed plugin, strict."""
    return plugin_registry(aspire_plugin)


@pytest.fixture()
def aspire_sample_responses(aspire_registry: Registry) -> Callable[..., list[dict[str, Any]]]:
    """``make(instrument_id, n=40, seed=0)``: valid sample records for an instrument of
    :func:`aspire_registry` (see :func:`sample_records`)."""

    def make(instrument_id: str, n: int = 40, seed: int = 0) -> list[dict[str, Any]]:
        return sample_records(aspire_registry.instrument(instrument_id), n, seed=seed)

    return make

"""The plugin kit: `aspire new-plugin` makes a plugin that installs, registers, scores and
passes its own tests; `aspire -p` loads one without installing; aspire_models.testing
checks every contribution of a plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aspire_models import Registry, hookimpl, score
from aspire_models.errors import AspireError, PluginError
from aspire_models.kit.devloop import import_plugin
from aspire_models.kit.scaffold import new_plugin, plugin_names
from aspire_models.testing import PluginCheckError, check_plugin, sample_records

ASPIRE = Path(sys.executable).with_name("aspire")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def clean_imports() -> Iterator[None]:
    """Generated plugins are imported under their own names: forget them afterwards."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.startswith("aspire_kit"):
            del sys.modules[name]


def test_names_follow_from_the_plugin_name() -> None:
    names = plugin_names("kit_one")
    assert names["distribution"] == "aspire-kit-one" and names["module"] == "aspire_kit_one"
    assert names["entry_point"] == "kit_one"
    assert (names["framework_id"], names["instrument_id"], names["scorer_id"]) == (
        "kit-one-values",
        "kit-one-survey",
        "kit-one-favourable",
    )
    for bad in ("", "9lives", "a--b", "näme", "a/b"):
        with pytest.raises(AspireError, match="letters, digits and hyphens"):
            plugin_names(bad)


def test_new_plugin_writes_a_complete_distribution(tmp_path: Path) -> None:
    made = new_plugin("kit-one", tmp_path)
    root = tmp_path / "aspire-kit-one"
    assert made.root == root
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["aspire_models"] == {"kit_one": "aspire_kit_one"}
    deps = [d.split(">")[0] for d in project["project"]["dependencies"]]
    assert deps == ["aspire-models", "attrs", "numpy"]  # every package the generated code imports
    package = root / "src" / "aspire_kit_one"
    for rel in (
        "__init__.py",
        "py.typed",
        "frameworks/kit-one-values.json",
        "instruments/kit-one-survey.json",
        "sources/kit-one-values-statement.txt",
        "examples/kit-one-survey-responses.csv",
    ):
        assert (package / rel).is_file(), rel
    assert (root / "tests" / "test_plugin.py").is_file() and (root / "tests" / "conftest.py").is_file()
    for path in made.files:  # every placeholder was filled in
        text = path.read_text(encoding="utf-8")
        assert "$name" not in text and "$module" not in text and "_id}" not in text, path
    # the sample responses are made from the instrument: its columns, whole answers 1-5
    header, *rows = (package / "examples/kit-one-survey-responses.csv").read_text(encoding="utf-8").splitlines()
    assert header.split(",")[:3] == ["respondent_id", "organisation", "team"] and len(rows) == 30
    # never overwritten
    with pytest.raises(AspireError, match="already exists"):
        new_plugin("kit-one", tmp_path)


def test_generated_plugin_loads_without_installing_checks_and_scores(tmp_path: Path, clean_imports: None) -> None:
    new_plugin("kit-two", tmp_path)
    module = import_plugin(str(tmp_path / "aspire-kit-two" / "src" / "aspire_kit_two"))
    checked = check_plugin(module)  # also checks each quoted definition against its source lines
    assert (checked.frameworks, checked.instruments, checked.scorers) == (
        ("kit-two-values",),
        ("kit-two-survey",),
        ("kit-two-favourable",),
    )
    reg = Registry(entry_points=False, plugins=[module], strict=True)
    csv = tmp_path / "aspire-kit-two/src/aspire_kit_two/examples/kit-two-survey-responses.csv"
    result = score(reg, "kit-two-survey", csv)
    assert (result.accounting.accepted, result.accounting.rejected, result.failures) == (30, 0, ())
    rows = result.table("kit-two-favourable", "favourable").rows()
    assert len(rows) == 3 * 6  # organisations x items
    assert result.output("kit-two-favourable").summary["most_favourable_item"] in {r["item"] for r in rows}


def test_a_generated_plugin_is_installed_and_its_tests_pass(tmp_path: Path) -> None:
    """pip builds and installs the new plugin into a fresh virtual environment (offline: no
    build isolation, no dependencies, hatchling and aspire-models seen from this one); there
    its entry point is found, it scores, and its generated tests pass."""
    pytest.importorskip("hatchling", reason="the generated plugin builds with hatchling (the test extra)")
    new_plugin("kit-three", tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    target = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # this environment's packages (pip, hatchling, aspire-models and its dependencies), with
    # their own .pth files (an editable aspire-models is one): addsitedir, not a plain path
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    lines = [f"import site; site.addsitedir({d!r})" for d in ours]
    (target / "parent.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    plugin_dir = tmp_path / "aspire-kit-three"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(plugin_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (target / "aspire_kit_three" / "frameworks" / "kit-three-values.json").is_file()  # package data shipped

    def aspire(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "aspire_models.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )

    plugins = aspire("plugins", "--json")
    assert plugins.returncode == 0, plugins.stderr
    [row] = [p for p in json.loads(plugins.stdout)["plugins"] if p["plugin"] == "kit_three"]
    assert row["distribution"] == "aspire-kit-three" and (row["frameworks"], row["instruments"], row["scorers"]) == (
        1,
        1,
        1,
    )
    out = tmp_path / "result.json"
    csv = target / "aspire_kit_three" / "examples" / "kit-three-survey-responses.csv"
    scored = aspire("score", "-i", "kit-three-survey", str(csv), "-o", str(out))
    assert scored.returncode == 0, scored.stderr
    assert "Favourable answers (kit-three-favourable)" in scored.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {o["scorer"] for o in doc["outputs"]} >= {"dimension-scores", "aggregate", "kit-three-favourable"}

    # its own tests, against the installed copy (pythonpath emptied: not the src folder)
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath="],
        capture_output=True,
        text=True,
        env=env,
        cwd=plugin_dir,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout


def test_aspire_p_loads_a_plugin_module_without_installing(tmp_path: Path) -> None:
    new_plugin("kit-four", tmp_path)
    root = tmp_path / "aspire-kit-four"
    r = subprocess.run(
        [str(ASPIRE), "-p", "src/aspire_kit_four", "frameworks", "show", "kit-four-values"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Listening (listening)" in r.stdout
    # a module name importable from the current folder, given after the command
    r = subprocess.run(
        [str(ASPIRE), "instruments", "-p", "aspire_kit_four", "--no-plugins"],
        capture_output=True,
        text=True,
        cwd=root / "src",
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "kit-four-survey" in r.stdout and "aspire_kit_four" in r.stdout
    r = subprocess.run(
        [str(ASPIRE), "-p", "no_such_plugin_module", "frameworks"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 1
    assert "no module named 'no_such_plugin_module'" in r.stderr and "-p src/my_plugin" in r.stderr


def test_import_plugin_reports_a_failing_plugin(tmp_path: Path, clean_imports: None) -> None:
    (tmp_path / "aspire_kit_broken.py").write_text("import no_such_dependency_here\n", encoding="utf-8")
    with pytest.raises(PluginError, match="importing it failed: ModuleNotFoundError"):
        import_plugin(str(tmp_path / "aspire_kit_broken.py"))
    with pytest.raises(PluginError, match="no such file"):
        import_plugin(str(tmp_path / "aspire_kit_missing.py"))


# -- check_plugin ------------------------------------------------------------------------------
def _plugin(name: str, **hooks: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(mod, hook, hookimpl(fn))
    return mod


def test_check_plugin_finds_every_problem(tmp_path: Path, clean_imports: None) -> None:
    new_plugin("kit-five", tmp_path)
    package = tmp_path / "aspire-kit-five" / "src" / "aspire_kit_five"
    # a quotation that is not in the cited lines, and a scorer that fails on real data
    fw = package / "frameworks" / "kit-five-values.json"
    doc = json.loads(fw.read_text(encoding="utf-8"))
    doc["elements"][0]["definition"] = "We always listen."
    fw.write_text(json.dumps(doc), encoding="utf-8")
    init = package / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8").replace(
            "values = ctx.data.numeric.copy()", "values = ctx.data.numeric.copy()\n        1 / 0"
        ),
        encoding="utf-8",
    )
    module = import_plugin(str(package))
    with pytest.raises(PluginCheckError) as exc:
        check_plugin(module)
    problems = exc.value.problems
    assert any("element 'listening'" in p and "not in kit-five-values-statement.txt, lines 9-9" in p for p in problems)
    assert any("kit-five-favourable" in p and "ZeroDivisionError" in p for p in problems), problems


def test_check_plugin_reports_refused_contributions_and_empty_plugins() -> None:
    bad = _plugin("aspire_kit_bad", aspire_frameworks=lambda: [{"id": "x"}])
    with pytest.raises(PluginCheckError) as exc:
        check_plugin(bad)
    assert any("plugin 'aspire_kit_bad'" in p and "item 'x'" in p for p in exc.value.problems)
    with pytest.raises(PluginCheckError, match="contributes nothing"):
        check_plugin(_plugin("aspire_kit_empty", aspire_frameworks=lambda: []))


def test_check_plugin_runs_a_scorer_no_instrument_of_the_plugin_uses() -> None:
    from tests.test_docs_tutorial import TUTORIAL

    sys.path.insert(0, str(TUTORIAL))
    try:
        import riverside_plugin
    finally:
        sys.path.remove(str(TUTORIAL))
    checked = check_plugin(riverside_plugin)
    assert checked.scorers == ("net-agreement",) and "riverside-pulse" in checked.results


def test_sample_records_are_valid_for_every_bundled_instrument() -> None:
    reg = Registry(entry_points=False)
    for iid, ins in reg.instruments.items():
        records = sample_records(ins, 24, seed=3)
        assert records == sample_records(ins, 24, seed=3)  # the same for the same seed
        result = score(reg, ins, records, strict=False)
        assert result.accounting.rejected == 0, (iid, result.rejected[:1])


def test_the_example_plugin_declares_what_its_code_imports() -> None:
    import ast

    plugin = ROOT / "plugins" / "aspire-council-values"
    declared = {
        d.split(">")[0].split("=")[0].strip().replace("-", "_")
        for d in tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    }
    imported: set[str] = set()
    for path in (plugin / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    own = {"aspire_council_values", "__future__"}
    third_party = {m for m in imported - set(sys.stdlib_module_names) if m not in own}
    assert third_party <= declared, f"imported but not declared: {third_party - declared}"


# -- plugins in reports ------------------------------------------------------------------------
class FavourableChart:
    """The hook's documented example (hookspecs.aspire_report_charts), for the kit's scorer."""

    title = "Favourable answers by item"

    def __init__(self, scorer: str, fail: bool = False) -> None:
        self.scorer = scorer
        self.fail = fail

    def draw(self, figure: Any, output: Any, labels: Any) -> str | None:
        if self.fail:
            raise RuntimeError("no ink")
        rows = [r for r in output.rows("favourable") if r["favourable"] is not None]
        if not rows:
            return None
        ax = figure.add_subplot()
        ax.barh([r["item"] for r in rows], [r["favourable"] for r in rows])
        ax.set_xlabel("% favourable")
        return "Favourable answers by item: " + "; ".join(f"{r['item']} {r['favourable']:.0f}%" for r in rows)


def test_plugin_outputs_in_reports_have_title_summary_and_contributed_charts(
    tmp_path: Path, clean_imports: None
) -> None:
    pytest.importorskip("matplotlib")
    from aspire_models.reports import render_html

    new_plugin("kit-six", tmp_path)
    module = import_plugin(str(tmp_path / "aspire-kit-six" / "src" / "aspire_kit_six"))
    charts = _plugin(
        "aspire_kit_six_charts",
        aspire_report_charts=lambda: [
            FavourableChart("kit-six-favourable"),
            FavourableChart("kit-six-favourable", fail=True),
            object(),  # refused: not a chart
        ],
    )
    reg = Registry(entry_points=False, plugins=[module, charts])
    csv = tmp_path / "aspire-kit-six/src/aspire_kit_six/examples/kit-six-survey-responses.csv"
    result = score(reg, "kit-six-survey", csv)
    page = render_html(result, reg)
    section = page[page.index(">Favourable answers</h") :]
    assert "Per organisation and item: the respondents who answered" in section  # the description
    top = result.output("kit-six-favourable").summary["most_favourable_item"]
    assert "Most favourable item" in section and top in section  # the summary
    assert "<svg" in section and "Favourable answers by item: li-residents" in section  # chart and alt text
    assert "could not be drawn: RuntimeError: no ink" in section
    assert any(p.plugin == "aspire_kit_six_charts" and "a report chart needs" in p.reason for p in reg.problems)

"""Developer sessions: ``nox -s tests lint typecheck docs bench``.

Every session installs the package (and the two plugin distributions under ``plugins/``)
into its own virtual environment, so what is tested is what users install.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True

PLUGINS = ["./plugins/aspire-council-values", "./plugins/aspire-public-sector"]


def install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install(spec, *PLUGINS)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The test suite (unit, property, golden, CLI and doctests)."""
    install(session, "test", "reports", "dask")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff on the package, plugins, tests and benchmarks."""
    session.install("ruff")
    session.run("ruff", "check", "src", "plugins", "tests", "benchmarks", "docs", "noxfile.py")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and the plugins."""
    install(session, "test", "reports", "dask")
    session.install("mypy", "pandas-stubs", "types-jsonschema")
    session.run("mypy")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The Sphinx documentation, warnings as errors (output in docs/_build/html).

    The catalogue, schema, CLI, API and methods pages are generated from the installed
    package and plugins while building, so the package is installed as for the tests.
    """
    install(session, "reports", "dask", "test")
    session.install("sphinx>=8")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html", *session.posargs)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks (not part of the test suite): prints a table of sizes, times and memory."""
    install(session, "test")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.11")
def privacy(session: nox.Session) -> None:
    """The privacy property tests over many generated designs (default 10,000 of each family;
    ``nox -s privacy -- 2000`` for fewer): the auditor must recover no withheld group."""
    install(session, "test")
    n = session.posargs[0] if session.posargs else "10000"
    session.run("pytest", "-q", "tests/test_privacy.py", "-k", "generated", env={"ASPIRE_PRIVACY_EXAMPLES": n})

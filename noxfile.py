"""Nox sessions for the squall workspace.

``nox`` with no arguments runs every session CI runs (see README "Quick start").

- ``tests(<folder>)``: one fresh venv per distribution holding only that distribution
  and its declared squall dependencies (non-editable), plus the test tools; runs
  ``tests/<folder>/``. An undeclared or upward import fails here.
- ``tests_uvloop(<folder>)``: the same for ioloop, locks, tcp, http1 and httpserver, on
  uvloop loops.
- ``tests_with_pytest_asyncio``: the pytest plugin beside pytest-asyncio.
- ``tests_full-3.11/3.12/3.13``: every distribution, the whole suite but the slow tests.
- ``slow``: the slow tests (fresh-venv installs, load runs).
- ``typecheck``, ``lint``, ``layers``, ``packaging``, ``docs``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent))
from tools import workspace

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "no"
nox.needs_version = ">=2024.4.15"

PYTHONS = ["3.11", "3.12", "3.13"]
DISTS = workspace.load()
CODE_DISTS = [folder for folder, dist in DISTS.items() if dist.modules]
PYPROJECT = nox.project.load_toml("pyproject.toml")
# uv must use the interpreters pyenv provides, never download its own.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


def _all_packages() -> list[str]:
    return [str(dist.path) for dist in DISTS.values()]


def _pytest(session: nox.Session, *args: str) -> None:
    env = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "ci")}
    session.run("pytest", *args, *session.posargs, env=env)


@nox.session
@nox.parametrize("dist", CODE_DISTS, ids=CODE_DISTS)
def tests(session: nox.Session, dist: str) -> None:
    """Test one distribution installed alone with its declared squall dependencies."""
    session.install(*(str(d.path) for d in workspace.closure(dist, DISTS)), *_group("test"))
    _pytest(session, f"tests/{dist}", "-m", "not slow", "-p", "no:cacheprovider")


UVLOOP_DISTS = ["ioloop", "locks", "tcp", "http1", "httpserver"]


@nox.session
@nox.parametrize("dist", UVLOOP_DISTS, ids=UVLOOP_DISTS)
def tests_uvloop(session: nox.Session, dist: str) -> None:
    """One distribution's tests (installed alone) with every event loop a uvloop loop."""
    session.install(
        *(str(d.path) for d in workspace.closure(dist, DISTS)), *_group("test"), "uvloop>=0.19"
    )
    session.env["SQUALL_TEST_LOOP"] = "uvloop"
    _pytest(session, f"tests/{dist}", "-m", "not slow", "-p", "no:cacheprovider")


@nox.session
def tests_with_pytest_asyncio(session: nox.Session) -> None:
    """squall-testing's pytest plugin with pytest-asyncio installed beside it."""
    session.install(
        *(str(d.path) for d in workspace.closure("testing", DISTS)),
        *_group("test"),
        "pytest-asyncio>=1.0",
    )
    # The key is only known (and required) where pytest-asyncio is installed.
    _pytest(session, "tests/testing", "-o", "asyncio_default_fixture_loop_scope=function")


@nox.session(python=PYTHONS)
def tests_full(session: nox.Session) -> None:
    """The whole suite (but the slow tests) with every distribution installed."""
    session.install(*_all_packages(), *_group("test"))
    _pytest(session, "tests", "-m", "not slow", "-p", "no:cacheprovider")


@nox.session
def slow(session: nox.Session) -> None:
    """The slow tests: fresh-venv installs of single layers, load runs."""
    session.install(*_all_packages(), *_group("test"))
    _pytest(session, "tests", "-m", "slow", "-p", "no:cacheprovider")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package, the tests, tools, benchmarks and this file."""
    session.install(*_all_packages(), *_group("typecheck"))
    session.run(
        "mypy",
        "packages",
        "tests",
        "tools",
        "bench",
        "examples",
        "fuzz",
        "noxfile.py",
        "docs/conf.py",
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def layers(session: nox.Session) -> None:
    """import-linter: the layers contract and one forbidden contract per distribution."""
    session.install(*_all_packages(), *_group("layers"))
    session.run("lint-imports", "--no-cache")


@nox.session
def packaging(session: nox.Session) -> None:
    """Build every wheel and sdist, check them, install each wheel alone and import it."""
    session.install("uv")
    session.run("python", "tools/check_packaging.py", "--outdir", f"{session.create_tmp()}/dist")


@nox.session
def docs(session: nox.Session) -> None:
    """Sphinx with myst-parser, warnings as errors."""
    session.install(*_all_packages(), *_group("docs"))
    session.run(
        "python", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )

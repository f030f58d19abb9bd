"""Read the workspace's distributions and their squall dependencies.

Every tool that needs the layer table (the noxfile, the packaging check) reads it
from the distributions' own ``pyproject.toml`` files through this module, so the
table lives in exactly one place: the packages' declared dependencies.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
META = "squall"

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


@dataclasses.dataclass(frozen=True)
class Dist:
    """One distribution of the workspace.

    Attributes:
        folder: the folder name under ``packages/`` (``"tcp"``).
        name: the distribution name (``"squall-tcp"``).
        version: the version string from its pyproject.
        squall_deps: the names of the squall distributions it declares, with their
            version specifiers, e.g. ``{"squall-ioloop": "==0.1.0"}``.
        modules: the ``squall.<m>`` modules it owns (folders under ``src/squall``).
    """

    folder: str
    name: str
    version: str
    squall_deps: dict[str, str]
    modules: tuple[str, ...]

    @property
    def path(self) -> Path:
        """The distribution's folder."""
        return PACKAGES / self.folder


def load() -> dict[str, Dist]:
    """Return every distribution of the workspace, keyed by folder name."""
    dists: dict[str, Dist] = {}
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        deps: dict[str, str] = {}
        for requirement in project.get("dependencies", []):
            match = _REQUIREMENT.match(requirement)
            if match and match.group(1).startswith("squall"):
                deps[match.group(1)] = match.group(2).strip()
        src = pyproject.parent / "src" / "squall"
        modules = (
            tuple(sorted(p.name for p in src.iterdir() if p.is_dir())) if src.is_dir() else ()
        )
        folder = pyproject.parent.name
        dists[folder] = Dist(folder, project["name"], project["version"], deps, modules)
    return dists


def closure(folder: str, dists: dict[str, Dist] | None = None) -> list[Dist]:
    """Return ``folder``'s distribution and every squall distribution it needs.

    Args:
        folder: a folder name under ``packages/``.
        dists: the table from :func:`load` (loaded when omitted).

    Returns:
        The distributions, dependencies first, each once.
    """
    dists = dists if dists is not None else load()
    by_name = {d.name: d for d in dists.values()}
    ordered: list[Dist] = []

    def visit(dist: Dist) -> None:
        for dep in dist.squall_deps:
            visit(by_name[dep])
        if dist not in ordered:
            ordered.append(dist)

    visit(dists[folder])
    return ordered

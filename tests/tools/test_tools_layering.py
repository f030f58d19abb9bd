"""The layer table is written once (the packages' declared dependencies); these
tests keep the import-linter contracts and the workspace metadata in step with it."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools import workspace  # noqa: E402

DISTS = workspace.load()
ALL_MODULES = {f"squall.{m}" for d in DISTS.values() for m in d.modules}
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]


def _forbidden_contract_for(dist: workspace.Dist) -> dict[str, Any]:
    own = {f"squall.{m}" for m in dist.modules}
    matches = [
        c for c in CONTRACTS if c["type"] == "forbidden" and set(c["source_modules"]) == own
    ]
    assert len(matches) == 1, f"one forbidden contract expected for {dist.name}"
    contract: dict[str, Any] = matches[0]
    return contract


@pytest.mark.parametrize("folder", [f for f, d in DISTS.items() if d.modules])
def test_forbidden_contract_matches_declared_dependencies(folder: str) -> None:
    dist = DISTS[folder]
    allowed = {f"squall.{m}" for d in workspace.closure(folder, DISTS) for m in d.modules}
    contract = _forbidden_contract_for(dist)
    assert set(contract["forbidden_modules"]) == ALL_MODULES - allowed


def test_layers_contract_names_every_module_once() -> None:
    (layers,) = [c for c in CONTRACTS if c["type"] == "layers"]
    named = [m.strip() for layer in layers["layers"] for m in layer.replace("|", ":").split(":")]
    assert sorted(named) == sorted(ALL_MODULES)


def test_one_version_and_exact_pins() -> None:
    versions = {d.version for d in DISTS.values()}
    assert len(versions) == 1
    (version,) = versions
    for dist in DISTS.values():
        assert all(spec == f"=={version}" for spec in dist.squall_deps.values()), dist.name


def test_no_namespace_init_anywhere() -> None:
    assert not list((ROOT / "packages").glob("*/src/squall/__init__.py"))


def test_meta_distribution_depends_on_every_layer() -> None:
    meta = DISTS["squall"]
    assert set(meta.squall_deps) == {d.name for f, d in DISTS.items() if f != "squall"}

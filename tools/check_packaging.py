"""Build every distribution and check what would be published.

Fails (exit 1) on: version drift between distributions; a squall dependency not
pinned ``==`` to that one version; a ``squall/__init__.py`` in any wheel or sdist
(it would break the PEP 420 namespace); a module without ``__init__.py`` or
``py.typed`` in its wheel. Then installs each wheel alone in a fresh venv (its
squall dependencies resolved from the freshly built wheels, third-party ones
from the index) and imports every module it and its dependencies own.

Usage: ``python tools/check_packaging.py --outdir DIR`` (``nox -s packaging``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools import workspace


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def check_metadata(dists: dict[str, workspace.Dist]) -> list[str]:
    """Return the version-drift and pinning problems of the workspace."""
    problems = []
    versions = {d.version for d in dists.values()}
    if len(versions) != 1:
        problems.append(f"version drift: {sorted(versions)}")
    version = next(iter(versions))
    for dist in dists.values():
        for dep, spec in dist.squall_deps.items():
            if spec != f"=={version}":
                problems.append(f"{dist.name}: {dep}{spec} is not pinned =={version}")
    return problems


def check_archives(dist: workspace.Dist, outdir: Path) -> list[str]:
    """Return the layout problems of one distribution's built wheel and sdist."""
    stem = dist.name.replace("-", "_")
    wheel = next(outdir.glob(f"{stem}-{dist.version}-*.whl"))
    sdist = next(outdir.glob(f"{stem}-{dist.version}.tar.gz"))
    names = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        sdist_names = tar.getnames()
    problems = []
    if "squall/__init__.py" in names or any(
        n.endswith("/src/squall/__init__.py") for n in sdist_names
    ):
        problems.append(f"{dist.name}: ships squall/__init__.py (breaks the namespace)")
    for module in dist.modules:
        for required in ("__init__.py", "py.typed"):
            if f"squall/{module}/{required}" not in names:
                problems.append(f"{wheel.name}: squall/{module}/{required} missing")
    if not dist.modules and any(n.startswith("squall/") for n in names):
        problems.append(f"{wheel.name}: the meta-distribution must hold no code")
    return problems


def check_install_alone(
    dist: workspace.Dist, dists: dict[str, workspace.Dist], outdir: Path
) -> None:
    """Install one wheel in a fresh venv from the built wheels only; import its modules."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        _run("uv", "venv", "-q", "--python", sys.executable, str(venv))
        python = str(venv / "bin" / "python")
        # squall's own distributions exist only in outdir (they are not on PyPI);
        # third-party dependencies (idna, ...) come from the index as for a user.
        _run("uv", "pip", "install", "-q", "--python", python,
             "--find-links", str(outdir), dist.name)  # fmt: skip
        modules = [m for d in workspace.closure(dist.folder, dists) for m in d.modules]
        script = "import importlib\n" + "".join(
            f"importlib.import_module('squall.{m}')\n" for m in modules
        )
        _run(python, "-W", "error", "-c", script)


def main() -> int:
    """Build, check and install every distribution; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", type=Path, required=True)
    args = parser.parse_args()
    outdir: Path = args.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    dists = workspace.load()
    problems = check_metadata(dists)
    for dist in dists.values():
        _run("uv", "build", "-q", "--sdist", "--wheel", "--out-dir", str(outdir), str(dist.path))
        problems += check_archives(dist, outdir)
    if not problems:
        for dist in dists.values():
            check_install_alone(dist, dists, outdir)
            print(f"ok: {dist.name} installs alone and imports")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

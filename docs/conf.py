"""Sphinx configuration for the squall documentation.

Build (the nox ``docs`` session runs exactly this)::

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import importlib
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Make every distribution importable even when the docs are built without the
# editable installs (PEP 420: squall is a namespace spread over these src dirs).
for src in sorted((ROOT / "packages").glob("*/src")):
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))

with open(ROOT / "packages" / "ioloop" / "pyproject.toml", "rb") as f:
    release = tomllib.load(f)["project"]["version"]  # every distribution shares it
version = ".".join(release.split(".")[:2])

project = "squall"
author = "the squall authors"
copyright = "the squall authors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: anchors for "#section" links inside and across pages.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# autodoc: signatures carry no annotations (they would need a resolvable
# target for every type); the types are in the Google-style "Args:" sections.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
autodoc_inherit_docstrings = True

# napoleon: Google style only; ":ivar:" fields instead of attribute directives,
# so an attribute listed in "Attributes:" and documented by autodoc is not
# described twice.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = True

nitpicky = False

html_theme = "alabaster"
html_title = f"squall {release}"
html_static_path: list[str] = []


def _class_directive_without_canonical(base: Any) -> Any:
    """``py:class`` / ``py:exception`` directive that ignores autodoc's ``:canonical:``.

    autodoc marks a re-exported class with its defining path (for squall a private
    ``squall.<m>._file.Name``; for an alias such as ``squall.util.TimeoutError``,
    ``builtins.TimeoutError``). When two public modules re-export the same class
    (``squall.util`` and ``squall.gen`` both export ``TimeoutError``) that path is
    registered twice: a "duplicate object description" warning. Private paths are not
    part of the API, so they are not registered at all.
    """

    def run(directive: Any) -> Any:
        directive.options.pop("canonical", None)
        return base.run(directive)

    return type("ClassWithoutCanonical", (base,), {"run": run})


def setup(app: Any) -> dict[str, Any]:
    # Sphinx is imported dynamically so that ``mypy docs/conf.py`` (the typecheck
    # session, which does not install Sphinx) needs no Sphinx or docutils stubs.
    base = importlib.import_module("sphinx.domains.python").PyClasslike
    directive = _class_directive_without_canonical(base)
    app.add_directive_to_domain("py", "class", directive, override=True)
    app.add_directive_to_domain("py", "exception", directive, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

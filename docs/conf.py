"""Sphinx configuration for the squall documentation.

Build (the nox ``docs`` session runs exactly this)::

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import sys
import tomllib
from pathlib import Path

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

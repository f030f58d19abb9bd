"""The version string of squall-web (Tornado's ``tornado.version``)."""

from importlib import metadata


def _read_version() -> str:
    try:
        return metadata.version("squall-web")
    except metadata.PackageNotFoundError:
        return "0+unknown"


version: str = _read_version()
"""The installed squall-web version, e.g. ``"0.1.0"`` (``"0+unknown"`` when not installed)."""

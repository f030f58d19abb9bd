"""The squall-httpserver version, for the ``Server`` header and ``SERVER_SOFTWARE``."""

from importlib import metadata


def _read_version() -> str:
    try:
        return metadata.version("squall-httpserver")
    except metadata.PackageNotFoundError:
        return "0+unknown"


#: The installed squall-httpserver version (``"0+unknown"`` when not installed).
version: str = _read_version()

#: The ``Server`` response header and ``SERVER_SOFTWARE`` environ value.
server_software: str = f"SquallServer/{version}"

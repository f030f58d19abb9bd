"""cpu_count: how many processors this machine has."""

from __future__ import annotations

import os

__all__ = ["cpu_count"]


def cpu_count() -> int:
    """Return the number of processors on this machine (at least 1).

    As Tornado's ``tornado.process.cpu_count``: the machine's processor count (not
    the process's CPU affinity); 1 when it cannot be determined.

    Returns:
        The processor count (``int`` >= 1).
    """
    count = os.cpu_count()
    if count:
        return count
    try:
        return max(1, int(os.sysconf("SC_NPROCESSORS_CONF")))
    except (AttributeError, ValueError, OSError):
        return 1

"""URLSpec and url: the routing module's path rule, under web's names (as in Tornado)."""

from squall.routing import URLSpec

url = URLSpec
"""Alias of :class:`URLSpec` (Tornado's ``web.url``)."""

__all__ = ["URLSpec", "url"]

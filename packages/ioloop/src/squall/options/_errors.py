"""The exception raised for every option definition and parsing problem."""

from __future__ import annotations


class Error(Exception):
    """Raised for an option that is unknown, redefined, missing a value or given a bad one.

    Follows ``tornado.options.Error``. A value that does not parse for its
    option's type raises a subclass that is also a :exc:`ValueError`, because
    Tornado let the type converter's own :exc:`ValueError` escape there.
    """


class _ValueParseError(Error, ValueError):
    """A command-line or config-file string that does not parse for the option's type."""

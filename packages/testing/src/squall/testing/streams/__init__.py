"""Conformance checks for squall streams (``trio.testing``'s stream checks, for IOStream).

A pair factory is an async callable ``make_pair(*, max_buffer_size=None,
max_write_buffer_size=None)`` returning ``(sender, receiver)``: two connected
:class:`~squall.iostream.BaseIOStream` objects where what ``sender`` writes,
``receiver`` reads. The keyword arguments are the stream constructor's limits
(bytes), applied to both streams (``None``: the default). A one-way stream kind
(a pipe) runs :func:`check_one_way_stream`; a two-way kind (a socket, TLS) runs
:func:`check_two_way_stream`, which also checks the reverse direction. Every
check closes both streams before returning. :data:`ONE_WAY_CHECKS` and
:data:`TWO_WAY_CHECKS` name each check, to parametrize tests with.

Example with pytest::

    import asyncio, socket

    import pytest
    from squall.iostream import IOStream
    from squall.testing.streams import ONE_WAY_CHECKS, reversed_pair

    async def make_pair(**limits):
        a, b = socket.socketpair()
        return IOStream(a, **limits), IOStream(b, **limits)

    @pytest.mark.parametrize("check", ONE_WAY_CHECKS.values(), ids=list(ONE_WAY_CHECKS))
    def test_socketpair(check):
        asyncio.run(check(make_pair))
        asyncio.run(check(reversed_pair(make_pair)))
"""

from squall.testing.streams._checks import (
    ONE_WAY_CHECKS,
    TWO_WAY_CHECKS,
    Check,
    PairFactory,
    check_backpressure_without_reader,
    check_close_during_read,
    check_close_during_write,
    check_delimiters_split_across_packets,
    check_eof_with_pending_data,
    check_large_transfer_integrity,
    check_max_bytes,
    check_one_way_stream,
    check_partial_reads,
    check_read_buffer_full,
    check_simultaneous_two_way,
    check_two_way_stream,
    check_write_buffer_full,
    reversed_pair,
)

__all__ = [
    "ONE_WAY_CHECKS",
    "TWO_WAY_CHECKS",
    "Check",
    "PairFactory",
    "check_backpressure_without_reader",
    "check_close_during_read",
    "check_close_during_write",
    "check_delimiters_split_across_packets",
    "check_eof_with_pending_data",
    "check_large_transfer_integrity",
    "check_max_bytes",
    "check_one_way_stream",
    "check_partial_reads",
    "check_read_buffer_full",
    "check_simultaneous_two_way",
    "check_two_way_stream",
    "check_write_buffer_full",
    "reversed_pair",
]

"""Create listening sockets: bind_sockets and bind_unix_socket."""

from __future__ import annotations

import errno
import os
import socket
import stat

__all__ = ["DEFAULT_BACKLOG", "bind_sockets", "bind_unix_socket"]

DEFAULT_BACKLOG = 128  # Tornado's default listen() backlog


def bind_sockets(  # noqa: PLR0917 - Tornado's positional signature
    port: int,
    address: str | None = None,
    family: socket.AddressFamily = socket.AF_UNSPEC,
    backlog: int = DEFAULT_BACKLOG,
    flags: int | None = None,
    reuse_port: bool = False,
) -> list[socket.socket]:
    """Create non-blocking listening sockets bound to ``port`` on ``address``.

    Follows Tornado's ``tornado.netutil.bind_sockets``: one socket per distinct
    address ``getaddrinfo`` returns (IPv4 first), ``SO_REUSEADDR`` set, IPv6 sockets
    ``IPV6_V6ONLY`` so IPv4 and IPv6 can share the port. With ``port=0`` the port the
    kernel picks for the first socket is reused for the others, so every family
    listens on the same port.

    Args:
        port: the TCP port (0 picks a free one).
        address: an IP address or host name; None or ``""`` for all interfaces.
        family: ``AF_INET`` or ``AF_INET6`` to restrict the family; ``AF_UNSPEC``
            (default) binds both when the host supports IPv6.
        backlog: the ``listen()`` backlog (default 128).
        flags: ``AI_*`` flags for ``getaddrinfo`` (default ``AI_PASSIVE``).
        reuse_port: set ``SO_REUSEPORT`` on every socket.

    Returns:
        The bound, listening sockets (``list[socket.socket]``).

    Raises:
        ValueError: ``reuse_port`` is set but the platform lacks ``SO_REUSEPORT``.
        OSError: a socket could not be created, bound (e.g. ``EADDRINUSE``) or put in
            listening mode; sockets already made by this call are closed first.
    """
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("the platform doesn't support SO_REUSEPORT")
    if not address:
        address = None
    if family == socket.AF_UNSPEC and not socket.has_ipv6:
        family = socket.AF_INET
    if flags is None:
        flags = socket.AI_PASSIVE
    infos = socket.getaddrinfo(address, port or 0, family, socket.SOCK_STREAM, 0, flags)
    seen: set[tuple[object, ...]] = set()
    sockets: list[socket.socket] = []
    bound_port: int | None = None
    try:
        for info in sorted(infos, key=lambda i: int(i[0])):
            if info in seen:
                continue
            seen.add(info)
            af, socktype, proto, _, sockaddr = info
            try:
                sock = socket.socket(af, socktype, proto)
            except OSError as e:
                if e.errno == errno.EAFNOSUPPORT:
                    continue
                raise
            try:
                if os.name != "nt":
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if reuse_port:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if af == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if sockaddr[1] == 0 and bound_port is not None:
                    sockaddr = (sockaddr[0], bound_port, *sockaddr[2:])
                sock.setblocking(False)
                try:
                    sock.bind(sockaddr)
                except OSError as e:
                    # "localhost" may resolve to ::1 on hosts (containers) without IPv6.
                    if (
                        e.errno == errno.EADDRNOTAVAIL
                        and address == "localhost"
                        and sockaddr[0] == "::1"
                    ):
                        sock.close()
                        continue
                    raise
                bound_port = int(sock.getsockname()[1])
                sock.listen(backlog)
            except BaseException:
                sock.close()
                raise
            sockets.append(sock)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def bind_unix_socket(
    file: str, mode: int = 0o600, backlog: int = DEFAULT_BACKLOG
) -> socket.socket:
    """Create a non-blocking listening Unix-domain stream socket at path ``file``.

    As in Tornado: a stale socket file at that path is removed first; any other kind
    of file there is an error. A name starting with a NUL byte is an abstract
    (Linux) socket: nothing is removed or chmod-ed.

    Args:
        file: the filesystem path (or ``"\\0name"`` for an abstract socket).
        mode: the permission bits given to the socket file (default ``0o600``).
        backlog: the ``listen()`` backlog (default 128).

    Returns:
        The listening ``socket.socket``.

    Raises:
        ValueError: ``file`` exists and is not a socket.
        OSError: the socket could not be created, bound or chmod-ed.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        abstract = file.startswith("\0")
        if not abstract:
            try:
                st = os.stat(file)
            except FileNotFoundError:
                pass
            else:
                if not stat.S_ISSOCK(st.st_mode):
                    raise ValueError(f"File {file} exists and is not a socket")
                os.remove(file)
        sock.bind(file)
        if not abstract:
            os.chmod(file, mode)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock

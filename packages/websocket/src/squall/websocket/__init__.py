"""WebSocket protocol support, RFC 6455 and RFC 7692 (Tornado's ``tornado.websocket``).

Coming in a later issue: ``WebSocketHandler``, ``websocket_connect`` and
``WebSocketClientConnection``.
"""

__all__: list[str] = []

"""The ``pytest11`` entry point of squall-testing.

The fixtures (``io_loop``, ``unused_port``, ``http_server``, ``http_client``,
``base_url``, ``fetch``) come in the HTTP client/testing issue; the module
exists now so that installing squall-testing registers a loadable plugin.
"""

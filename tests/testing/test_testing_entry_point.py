"""Installing squall-testing registers its pytest plugin and exports the public API."""

from importlib.metadata import entry_points

import squall.testing
import squall.testing.streams


def test_pytest_plugin_is_registered_by_installing_the_distribution() -> None:
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "squall"]
    assert plugin.value == "squall.testing._pytest_plugin"
    module = plugin.load()
    assert module.__doc__
    assert callable(module.pytest_pyfunc_call)


def test_public_names_are_exported_and_documented() -> None:
    for module in (squall.testing, squall.testing.streams):
        for name in set(module.__all__) - {"Check"}:
            assert getattr(module, name).__doc__, name
    assert set(squall.testing.__all__) >= {
        "AsyncHTTPSTestCase",
        "AsyncHTTPTestCase",
        "AsyncTestCase",
        "ExpectLog",
        "bind_unused_port",
        "gen_test",
        "get_async_test_timeout",
        "main",
    }

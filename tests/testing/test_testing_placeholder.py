"""squall-testing installs alone (with its declared dependencies) and says what will
live there."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["squall.testing"])
def test_module_imports_and_documents_its_plan(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__ and "Coming in" in module.__doc__


def test_pytest_plugin_is_registered_by_installing_the_distribution() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "squall"]
    assert plugin.value == "squall.testing._pytest_plugin"
    assert plugin.load().__doc__

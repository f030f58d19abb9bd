"""squall-httpclient installs alone (with its declared dependencies) and says what will
live there."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["squall.httpclient", "squall.simple_httpclient"])
def test_module_imports_and_documents_its_plan(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__ and "Coming in" in module.__doc__

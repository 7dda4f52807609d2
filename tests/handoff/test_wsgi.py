"""The WSGI entry point loads the URL configuration before the first request and freezes what it loaded."""

import gc
import importlib

from django.urls import clear_url_caches, get_resolver


def test_the_wsgi_module_loads_the_url_configuration_and_freezes_it():
    gc.unfreeze()
    clear_url_caches()
    assert "url_patterns" not in get_resolver().__dict__
    try:
        module = importlib.reload(importlib.import_module("handoff.wsgi"))
        assert "url_patterns" in get_resolver().__dict__, "the views are imported at start, not on a first request"
        assert gc.get_freeze_count() > 0
        assert callable(module.application)
    finally:
        gc.unfreeze()

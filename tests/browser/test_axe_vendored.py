"""The vendored axe-core is the pinned release, unchanged (no browser needed)."""

from tests.browser.accessibility import AXE, AXE_VERSION, axe_source


def test_the_vendored_axe_core_is_the_pinned_version_unchanged():
    source = axe_source()
    assert source.startswith(f"/*! axe v{AXE_VERSION}")
    assert (AXE.parent / "LICENSE").exists()
    assert AXE_VERSION in (AXE.parent / "README.md").read_text()

"""Production static files: each URL read from the manifest once per process (core.static)."""

import json

import pytest

from core.static import StaticFilesStorage


class CountingStorage(StaticFilesStorage):
    """Counts the manifest lookups behind the URLs it gives."""

    lookups = 0

    def stored_name(self, name):
        self.lookups += 1
        return super().stored_name(name)


@pytest.fixture
def storage(tmp_path):
    manifest = {"version": "1.1", "hash": "0", "paths": {"css/handoff.css": "css/handoff.2b2c7fe6ef49.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return CountingStorage(location=str(tmp_path), base_url="/static/")


def test_a_files_url_is_its_hashed_name_and_is_looked_up_once(storage):
    urls = [storage.url("css/handoff.css") for _ in range(8)]
    assert urls == ["/static/css/handoff.2b2c7fe6ef49.css"] * 8
    assert storage.lookups == 1


def test_a_name_the_manifest_lacks_still_raises_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
    assert storage._urls == {}

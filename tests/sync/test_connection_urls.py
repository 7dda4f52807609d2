"""A connection's URL through the API: strictly parsed, and only to addresses the portal may call."""

import pytest

from sync.models import Connection

pytestmark = pytest.mark.django_db

NEW = {"name": "Billing Redmine", "kind": "redmine", "project": "billing", "token": "tok-0123456789abcdef"}

REFUSED_IN_PRODUCTION = [
    "http://100.100.100.200",  # a cloud metadata service
    "http://100.64.0.1",  # carrier-grade NAT
    "http://[2002:7f00:1::]",  # 6to4 form of 127.0.0.1
    "http://[::ffff:127.0.0.1]",  # IPv4-mapped 127.0.0.1
    "http://[64:ff9b::a00:1]",  # NAT64 form of 10.0.0.1
    "http://127.0.0.1:3000",
    "http://10.1.2.3",
    "http://192.168.0.10",
    "http://0.0.0.0",
    "http://localhost/",
    "http://[::1]/",
    "http://8.8.8.8#@127.0.0.1",
    "http://8.8.8.8/?@127.0.0.1",
    "http://8.8.8.8/\r\nX-Injected: 1",
    "http://8.8.8.8/ path",
    "http://8.8.8.8\\@127.0.0.1",
    "http://8.8.8.8:99999",
    "http://8.8.8.8:0",
    "http://8.8.8.8:",
    "http://[::1",
    "http://user:secret@8.8.8.8",
    "ftp://8.8.8.8",
    "javascript://8.8.8.8/%0aalert(1)",
    "8.8.8.8",
    "",
]
REFUSED_EVERYWHERE = [
    "http://169.254.169.254",
    "http://169.254.10.1",
    "http://100.100.100.200",
    "http://[fe80::1]",
    "http://[fd00:ec2::254]",
    "http://[::ffff:169.254.169.254]",
]


@pytest.fixture
def production(settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False


@pytest.mark.parametrize("url", REFUSED_IN_PRODUCTION)
def test_a_connection_url_that_is_internal_or_malformed_is_refused_with_a_base_url_message(
    url, production, api, manager
):
    response = api(manager).post("/api/connections/", {**NEW, "base_url": url}, format="json")

    assert response.status_code == 400, (url, response.content)
    assert response.json()["base_url"], url
    assert not Connection.objects.exists()


@pytest.mark.parametrize("url", REFUSED_EVERYWHERE)
def test_link_local_and_metadata_addresses_are_refused_even_where_internal_addresses_are_allowed(
    url, settings, api, manager
):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True

    response = api(manager).post("/api/connections/", {**NEW, "base_url": url}, format="json")

    assert response.status_code == 400 and response.json()["base_url"], url
    assert not Connection.objects.exists()


def test_a_public_address_is_accepted_with_its_scheme_lowercased(production, api, manager):
    response = api(manager).post("/api/connections/", {**NEW, "base_url": "HTTPS://8.8.8.8:8443/redmine/"},
                                 format="json")

    assert response.status_code == 201, response.json()
    assert Connection.objects.get().base_url == "https://8.8.8.8:8443/redmine"


def test_an_internal_address_is_accepted_where_internal_addresses_are_allowed(settings, api, manager):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True

    response = api(manager).post("/api/connections/", {**NEW, "base_url": "http://10.1.2.3:3000"}, format="json")

    assert response.status_code == 201, response.json()


def test_changing_a_connection_to_a_metadata_address_is_refused_and_keeps_the_old_url(
    production, api, manager
):
    connection_id = api(manager).post("/api/connections/", {**NEW, "base_url": "https://8.8.8.8"},
                                      format="json").json()["id"]

    response = api(manager).patch(f"/api/connections/{connection_id}/",
                                  {"base_url": "http://[::ffff:a9fe:a9fe]"}, format="json")

    assert response.status_code == 400 and response.json()["base_url"]
    assert Connection.objects.get().base_url == "https://8.8.8.8"

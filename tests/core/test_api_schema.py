import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_served_and_describes_escalation(api, agent):
    response = api(agent).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    escalate = schema["paths"]["/api/tickets/{id}/escalate/"]["post"]
    assert {"201", "400", "404", "409"} <= set(escalate["responses"])
    assert "/api/defects/similar/" in schema["paths"]
    assert "/api/auth/token/" in schema["paths"]


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any guess drf-spectacular has to make into an error.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_the_api_docs_page_is_served(api, agent):
    assert api(agent).get("/api/docs/").status_code == 200


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_anonymous_visitors_and_outsiders_get_neither_the_schema_nor_its_docs(api, outsider, path):
    anonymous = api(None).get(path)
    assert anonymous.status_code in (401, 403)
    assert b"Handoff API" not in anonymous.content
    assert api(outsider).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/api/tickets/", "/api/defects/", "/api/builds/", "/api/requests/"])
def test_the_large_lists_document_that_their_count_may_be_an_estimate(api, agent, path):
    schema = api(agent).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listed = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][listed.rsplit("/", 1)[-1]]
    assert page["properties"]["count_is_estimate"]["type"] == "boolean"
    assert "count_is_estimate" in page["required"]

"""Every endpoint of the OpenAPI schema, fed malformed input, answers 2xx/3xx/4xx: never a 500.

The operations are read from drf-spectacular's generator, so a new endpoint is
fuzzed as soon as it is in the schema. Each request carries hostile values where
the schema expects ids, query parameters and body fields: wrong types, huge and
negative integers, floats, deep or odd structures, NUL and control characters.

The default run draws a few examples per operation to keep the suite fast;
HANDOFF_FUZZ_EXAMPLES=200 runs a longer search.
"""

import json
import os
import re
from urllib.parse import urlencode

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.models import Connection
from tests.factories import escalate

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HANDOFF_FUZZ_EXAMPLES", "4"))
BODY_METHODS = {"post", "put", "patch"}


def _operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            fields = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
            operations.append((method, path, {
                "query": [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"],
                "fields": sorted(fields),
            }))
    return operations


OPERATIONS = _operations()

# Values found to break parsers and lookups somewhere, next to random ones.
NASTY_STRINGS = [
    "", " ", "\x00", "a\x00b", "\r\n", "\x1b[31m", "9" * 25, "-1", "0", "1.5", "1e309", "NaN", "true", "null",
    "[]", "{}", "http://[::1", "javascript:alert(1)", "../../etc/passwd", "%00", "x" * 5000, "DEF-1", "HD-1001",
]
huge_ints = st.integers(min_value=-(2**80), max_value=2**80)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
scalars = (
    st.none() | st.booleans() | huge_ints | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False) | texts | st.sampled_from(NASTY_STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
# Path ids: mostly small (real rows exist for 1 and 2), some absurd.
path_ids = st.integers(0, 3).map(str) | huge_ints.map(str) | st.sampled_from(
    ["9" * 25, "-1", "abc", "%00", "%20", "1e3", "０"]
)
query_values = st.sampled_from(NASTY_STRINGS) | huge_ints.map(str) | texts.filter(lambda t: "\x00" not in t)


# Bodies that are not JSON a serializer could ever see: deep, unterminated, not UTF-8, huge numbers.
RAW_BODIES = ["[" * 100_000, '{"a": ' * 5000, "{", "\xff\xfe", '{"a": NaN}', "1" * 5000, ""]


def _bodies(fields: list[str]):
    declared = st.fixed_dictionaries({}, optional={name: json_values for name in fields}) if fields else st.nothing()
    return (declared | json_values).map(json.dumps) | st.sampled_from(RAW_BODIES)


@pytest.fixture
def people(agent, manager, make_ticket, release, component, version, contact):
    """Rows for small ids to hit: tickets, a defect, a release, a connection."""
    escalate(make_ticket(), agent)
    make_ticket()
    # A closed local port: whatever the fuzz makes the connection do fails at once, offline.
    Connection.objects.create(
        name="Fuzz tracker", kind="github", base_url="http://127.0.0.1:9", project="acme/x", token="t",
    )
    return {"agent": agent, "manager": manager}


@pytest.mark.parametrize(
    "method,path,shape", OPERATIONS, ids=[f"{method.upper()} {path}" for method, path, _ in OPERATIONS]
)
def test_no_endpoint_answers_malformed_input_with_a_500(api, people, method, path, shape):
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def run(data):
        role = data.draw(st.sampled_from(["agent", "manager"]), label="role")
        url = re.sub(r"\{[^}]+\}", lambda _: data.draw(path_ids, label="id"), path)
        query = data.draw(
            st.fixed_dictionaries({}, optional={name: query_values for name in [*shape["query"], "unknown"]}),
            label="query",
        )
        client = api(people[role])
        client.raise_request_exception = False
        if method in BODY_METHODS:
            body = data.draw(_bodies(shape["fields"]), label="body")
            if query:
                url += "?" + urlencode(query)
            response = client.generic(method.upper(), url, body, content_type="application/json")
        else:
            response = client.generic(method.upper(), url, data="") if method == "delete" else client.get(url, query)
        assert response.status_code < 500, f"{method.upper()} {url} as {role}: {response.status_code}"

    run()

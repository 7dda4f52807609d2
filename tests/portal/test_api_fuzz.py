"""The portal API fed malformed input as a signed-in contact (the staff fuzz only reaches its 403s): never a 500."""

import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_api_fuzz import BODY_METHODS, EXAMPLES, OPERATIONS, _bodies, path_ids, query_values

pytestmark = pytest.mark.django_db

PORTAL = [op for op in OPERATIONS if op[1].startswith("/api/portal/")]


@pytest.mark.parametrize("method,path,shape", PORTAL, ids=[f"{m.upper()} {p}" for m, p, _ in PORTAL])
def test_no_portal_endpoint_answers_malformed_input_with_a_500(
    portal_api, contact, make_ticket, product, version, method, path, shape
):
    make_ticket(contact=contact)
    api = portal_api(contact)
    api.raise_request_exception = False

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def run(data):
        url = re.sub(r"\{[^}]+\}", lambda _: data.draw(path_ids, label="id"), path)
        query = data.draw(st.fixed_dictionaries({}, optional={n: query_values for n in [*shape["query"], "x"]}))
        if method in BODY_METHODS:
            body = data.draw(_bodies(shape["fields"]), label="body")
            response = api.generic(method.upper(), url + ("?" + urlencode(query) if query else ""), body,
                                   content_type="application/json")
        else:
            response = api.generic(method.upper(), url, data="") if method == "delete" else api.get(url, query)
        assert response.status_code < 500, f"{method.upper()} {url}: {response.status_code}"

    run()

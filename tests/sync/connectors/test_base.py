"""The one mapping of a tracker's answer to retry, pause or refuse, which every connector uses."""

import pytest
import requests

from core.safe_urls import UnsafeRemote
from sync.connectors.base import (
    PERMANENT,
    ConnectorError,
    RejectedChange,
    answer_error,
    is_retried,
    transport_error,
)

WHERE = "PUT /rest/api/2/issue/HD-1"


@pytest.mark.parametrize("code", [401, 403, 404, 410])
def test_an_answer_that_retrying_cannot_mend_pauses_the_connection_with_its_reason(code):
    error = answer_error("Jira", code, where=WHERE, refused="Jira refused it")

    assert type(error) is ConnectorError and error.permanent
    assert error.message == f"Jira answered {code} ({PERMANENT[code]}) to {WHERE}."


def test_a_permanent_answer_names_the_trackers_own_detail_and_reasons_when_given():
    error = answer_error("Redmine", 401, where="GET /issues.json", reasons={**PERMANENT, 401: "the API key is wrong"})
    assert error.message == "Redmine answered 401 (the API key is wrong) to GET /issues.json."

    error = answer_error("GitHub", 404, where="edit issue #7", detail="Not Found")
    assert error.permanent and error.message == "GitHub answered 404 (not found) to edit issue #7: Not Found"


@pytest.mark.parametrize("code", [400, 409, 422])
def test_any_other_refusal_rejects_only_that_change_and_the_connection_goes_on(code):
    error = answer_error("Jira", code, where=WHERE, refused="Jira refused PUT: summary: too long")

    assert isinstance(error, RejectedChange) and not error.permanent
    assert error.message == "Jira refused PUT: summary: too long"


def test_a_refusal_the_caller_reads_itself_is_left_to_it():
    assert answer_error("Redmine", 422, where=WHERE) is None


def test_a_rate_limit_is_retried_no_sooner_than_the_tracker_asked():
    error = answer_error("Jira", 429, where=WHERE, retry_after=30.0, refused="never used")

    assert type(error) is ConnectorError and not error.permanent
    assert error.retry_after == 30.0 and error.message == f"Jira answered 429 to {WHERE}."


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_trouble_is_retried(code):
    error = answer_error("GitHub", code, where="create issue", refused="never used")

    assert type(error) is ConnectorError and not error.permanent and error.retry_after is None
    assert is_retried(code)


@pytest.mark.parametrize("code", [200, 201, 204, 304])
def test_a_success_is_no_error(code):
    assert answer_error("Jira", code, where=WHERE, refused="never used") is None
    assert not is_retried(code)


def test_an_error_keeps_the_trackers_status_and_only_a_404_says_the_thing_is_gone():
    gone = answer_error("Jira", 404, where=WHERE, detail="the comment 404 was deleted")
    assert gone.status == 404 and gone.gone
    # A message that merely mentions 404 is not a 404 answer.
    forbidden = answer_error("Jira", 403, where="DELETE comment 404 ", detail="not yours")
    assert forbidden.status == 403 and not forbidden.gone
    assert answer_error("Jira", 503, where=WHERE).status == 503
    assert not answer_error("Jira", 409, where=WHERE, refused="refused").gone


def test_a_timeout_or_a_dropped_connection_is_retried():
    timeout = transport_error("Jira", requests.ReadTimeout(), where=WHERE)
    assert not timeout.permanent and timeout.message == f"Jira did not answer {WHERE} in time."

    down = transport_error("Redmine", requests.ConnectionError(), where=WHERE)
    assert not down.permanent and down.message == "Redmine is unreachable (ConnectionError)."


def test_an_address_the_outbound_guard_refuses_pauses_the_connection():
    error = transport_error("GitHub", UnsafeRemote("10.0.0.1 is an internal address"), where="(create issue)")

    assert error.permanent and error.message.startswith("GitHub: ")

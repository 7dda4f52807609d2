"""The bench's own parts: its statistics, its load loop over real HTTP, and its targets on seeded data."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import call_command

from core.models import Channel
from core.tokens import api_token_issue
from tools.bench import load, report
from tools.bench.targets import CONTACT, PERSONAS, build_targets, portal_contact, webhook_target


def test_p95_is_the_nearest_rank_and_p50_the_median():
    result = load.Result("x", 100.0, latencies=[float(n) for n in range(1, 101)])
    assert result.p95 == 95.0 and result.p50 == 50.5
    assert result.verdict == "ok"
    assert load.Result("x", 90.0, latencies=result.latencies).verdict == "SLOW"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(403 if self.path == "/forbidden" else 200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_load_loop_sends_every_request_and_counts_an_unexpected_status_as_an_error(http_server):
    def send(session, n):
        return session.get(f"{http_server}/{'forbidden' if n % 5 == 0 else 'page'}", timeout=5)

    result = load.run("mixed", send, make_session=requests.Session, total=40, clients=3, goal_ms=100.0, warmup=0)
    assert result.requests == 40
    assert len(result.latencies) == 32 and result.failures == {"403": 8}
    assert result.verdict.startswith("8 errors")
    assert "mixed" in report.table([result])


def _sign_in_to_the_portal(client) -> None:
    """Sign the test client in to the portal as the bench's contact, with the seeded password."""
    client.logout()
    email, _ = portal_contact()
    answer = client.post("/portal/sign-in/", {"email": email, "password": "handoff"})
    assert answer.status_code == 302, answer.content


@pytest.mark.django_db
def test_every_target_answers_200_on_seeded_data(client):
    """Each page and endpoint the bench measures exists and answers its persona (a fast 403 is no result)."""
    call_command("seed_scale", tickets=300, defects=60, stdout=None)
    webhook_target()  # the bench's tracker connection, whose page is measured
    targets = build_targets()
    names = {t.name for t in targets}
    assert {"ticket list, first page", "triage queue (my teams)", "dashboard (manager)"} <= names
    # The work lists sorted, searched and opened through saved views (a shared one among them).
    assert {
        "ticket list, sorted", "ticket list, saved views", "defect list, sorted and searched",
        "defect list, saved views", "triage queue, sorted and searched", "triage queue, saved views",
    } <= names
    saved = next(t for t in targets if t.name == "ticket list, saved views")
    assert "/tickets/?sort=updated&waiting=yes" in saved.paths
    assert any(name.startswith("release report") for name in names)
    assert {"portal ticket list", "portal ticket page", "portal installations"} <= names
    assert {"notifications", "request page"} <= names
    # Every page a person opens, the forms and the code and tracker pages among them.
    assert {
        "new ticket page", "new ticket, a customer's contacts", "a customer's installations", "repository page",
        "tracker connection page", "portal new ticket page", "portal account", "API request", "API request tickets",
        "API defect tickets",
    } <= names
    for target in targets:
        if target.note:
            continue
        if target.persona == CONTACT:
            _sign_in_to_the_portal(client)
            for path in target.paths:
                assert client.get(path).status_code in target.expect, (target.name, path)
            continue
        user = User.objects.get(username=PERSONAS[target.persona])
        headers = {}
        if target.api:
            _, key = api_token_issue(user=user, name="bench", actor=user, channel=Channel.API)
            headers["HTTP_AUTHORIZATION"] = f"Token {key}"
            client.logout()
        else:
            client.force_login(user)
        for path in target.paths:
            assert client.get(path, **headers).status_code in target.expect, (target.name, path)

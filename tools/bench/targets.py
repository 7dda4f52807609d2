"""What the bench measures: the pages and endpoints people wait on, with realistic ids."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import NoReverseMatch, reverse

from core.models import Channel, SavedView
from core.saved_views import saved_view_save, saved_view_url
from defects.models import Defect, Team, TicketDefectLink
from enhancements.models import EnhancementRequest
from releases.code.models import Repository
from releases.models import Release
from sync.models import Connection
from tickets.models import Customer, Ticket

LIST_GOAL_MS = 100.0
HOOK_GOAL_MS = 50.0
PASSWORD = "handoff"
# Seeded people (tools.scale.catalog); every seeded account has the password "handoff".
PERSONAS = {"agent": "scale-agent-001", "engineer": "scale-engineer-001", "manager": "scale-manager-001"}
# A customer's contact in the customer portal (its own sign-in): tools.scale.seed_portal's accounts.
CONTACT = "contact"


def portal_contact() -> tuple[str, int] | None:
    """(address, customer id) of the seeded portal contact whose organisation-wide view holds the most tickets."""
    customer = (
        Customer.objects.filter(portal_enabled=True, portal_scope=Customer.PortalScope.ORGANISATION,
                                contacts__portal_account__isnull=False)
        .annotate(n=Count("tickets", distinct=True)).order_by("-n", "pk").first()
    )
    if customer is None:
        return None
    email = customer.contacts.filter(portal_account__isnull=False).order_by("pk").values_list("email", flat=True)[0]
    return email, customer.pk


@dataclass
class Target:
    """Requests to one page or endpoint; the n-th request uses paths[n % len(paths)]."""

    name: str
    persona: str
    paths: list[str]
    goal_ms: float | None = LIST_GOAL_MS
    api: bool = False
    method: str = "GET"
    body: Callable[[int], tuple[bytes, dict[str, str]]] | None = None
    expect: tuple[int, ...] = (200,)
    note: str = ""

    def send(self, session: requests.Session, base: str, n: int) -> requests.Response:
        url = base + self.paths[n % len(self.paths)]
        if self.body is None:
            return session.request(self.method, url, timeout=30)
        data, headers = self.body(n)
        return session.request(self.method, url, data=data, headers=headers, timeout=30)


@dataclass
class Clients:
    """Logged-in sessions (pages) and tokens (API), one per persona."""

    base: str
    cookies: dict[str, requests.cookies.RequestsCookieJar] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, persona: str) -> None:
        if persona == CONTACT:
            self._portal_login()
            return
        username = PERSONAS[persona]
        session = requests.Session()
        page = session.get(f"{self.base}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        answer = session.post(
            f"{self.base}/accounts/login/", allow_redirects=False, timeout=10,
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"could not log in as {username}: HTTP {answer.status_code}")
        self.cookies[persona] = session.cookies
        answer = requests.post(f"{self.base}/api/auth/token/", timeout=10,
                               json={"username": username, "password": PASSWORD})
        if answer.ok:
            self.tokens[persona] = answer.json()["token"]

    def _portal_login(self) -> None:
        found = portal_contact()
        if found is None:
            return
        session = requests.Session()
        page = session.get(f"{self.base}/portal/sign-in/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        answer = session.post(
            f"{self.base}/portal/sign-in/", allow_redirects=False, timeout=10,
            data={"email": found[0], "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"could not sign in to the portal as {found[0]}: HTTP {answer.status_code}")
        self.cookies[CONTACT] = session.cookies

    def session_for(self, target: Target) -> requests.Session:
        session = requests.Session()
        if target.api:
            session.headers["Authorization"] = f"Token {self.tokens[target.persona]}"
        elif target.persona in self.cookies:
            session.cookies.update(self.cookies[target.persona])
        return session


def _url(name: str, *args, query: str = "") -> str | None:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def _first_url(names: list[str], *args, query: str = "") -> str | None:
    return next((url for url in (_url(name, *args, query=query) for name in names) if url), None)


def _missing(name: str, persona: str, why: str) -> Target:
    return Target(name, persona, [], note=why)


# The views each list offers the bench's personas: a few of their own and a shared one, as a
# help desk keeps them. (list, persona or "shared", name, query)
SAVED_VIEWS = [
    (SavedView.List.TICKETS, "agent", "My tickets, longest waiting", "assignee=me&sort=updated"),
    (SavedView.List.TICKETS, "agent", "Awaiting engineering", "status=awaiting_engineering&sort=-updated"),
    (SavedView.List.TICKETS, "shared", "Waiting too long", "waiting=yes&sort=updated"),
    (SavedView.List.DEFECTS, "engineer", "Most customers", "sort=-customers&status=in_progress"),
    (SavedView.List.DEFECTS, "shared", "Critical", "severity=S1"),
    (SavedView.List.QUEUE, "engineer", "Oldest first", "team=mine&status=open&sort=created"),
    (SavedView.List.QUEUE, "shared", "Needs information", "status=needs_info"),
]


def saved_view_paths(list_name: str) -> list[str]:
    """The bench's saved views of a list (SAVED_VIEWS), made or saved over: the paths that open them."""
    users = {user.username: user for user in User.objects.filter(username__in=[*PERSONAS.values()])}
    paths = []
    for kind, who, name, query in SAVED_VIEWS:
        owner = users.get(PERSONAS["manager" if who == "shared" else who])
        if kind != list_name or owner is None:
            continue
        view, _ = saved_view_save(
            owner=owner, list_name=kind, name=name, query=query, shared=who == "shared", channel=Channel.SYSTEM,
        )
        paths.append(saved_view_url(list_name=kind, query=view.query))
    return paths


def give_the_engineer_a_queue() -> None:
    """The bench engineer works in the team with the most defects, as a busy engineer would.

    seed_scale puts them there (with that team's notifications); this covers a database seeded before it did.
    """
    busiest = Team.objects.annotate(n=Count("defects")).order_by("-n", "pk").first()
    if busiest is not None:
        busiest.members.add(User.objects.get(username=PERSONAS["engineer"]))


def build_targets(hook_target: Callable[[], Target | None] | None = None) -> list[Target]:
    """Targets with ids picked from the seeded data: the busiest product, a big release, recent tickets."""
    product_id = (
        Ticket.objects.values("product").annotate(n=Count("id")).order_by("-n").values_list("product", flat=True)[0]
    )
    per_page = 50
    deep_page = max(1, int(Ticket.objects.count() / per_page * 0.8))
    recent_escalated = list(
        TicketDefectLink.objects.order_by("-id").values_list("ticket_id", flat=True)[:25]
    )
    # A typical release: the median by number of fixes, of the busiest product.
    releases = list(
        Release.objects.filter(status=Release.Status.RELEASED, product_id=product_id)
        .annotate(n=Count("fixed_defects")).order_by("n")
    )
    release = releases[len(releases) // 2] if releases else None
    team = Team.objects.filter(members__username=PERSONAS["engineer"]).first()
    open_defects = list(
        Defect.objects.filter(status__in=Defect.OPEN_STATUSES).order_by("-id").values_list("title", "product_id")[:25]
    )
    customer_id = Customer.objects.annotate(n=Count("tickets")).order_by("-n").values_list("id", flat=True)[0]

    # First: it makes the bench's tracker connection, whose page is a target too.
    hook = hook_target() if hook_target else None
    targets: list[Target] = []
    home = _url("home")
    for persona in ("agent", "engineer", "manager"):
        targets.append(Target(f"dashboard ({persona})", persona, [home]))
    tickets = _url("tickets:list")
    targets.append(Target("ticket list, first page", "agent", [tickets]))
    targets.append(Target("ticket list, filtered", "agent", [
        f"{tickets}?status=awaiting_engineering&product={product_id}",
        f"{tickets}?customer={customer_id}",
        f"{tickets}?q=export",
    ]))
    targets.append(Target(f"ticket list, page {deep_page}", "agent", [f"{tickets}?page={deep_page}"]))
    targets.append(Target("ticket list, sorted", "agent", [
        f"{tickets}?sort=updated", f"{tickets}?sort=-subject", f"{tickets}?sort=status&product={product_id}",
        f"{tickets}?sort=-updated&page={deep_page // 2}",
    ]))
    targets.append(Target("ticket list, saved views", "agent", saved_view_paths(SavedView.List.TICKETS)))
    targets.append(Target("ticket page", "agent", [_url("tickets:detail", pk) for pk in recent_escalated]))
    # The new-ticket form, then the contacts it asks for once a customer is chosen (the busiest ones).
    targets.append(Target("new ticket page", "agent", [_url("tickets:create")]))
    busiest = Customer.objects.annotate(n=Count("contacts")).order_by("-n", "pk").values_list("pk", flat=True)[:10]
    targets.append(Target("new ticket, a customer's contacts", "agent", [
        _url("tickets:contact_choices", query=f"customer={pk}") for pk in busiest
    ]))
    targets.append(Target("a customer's installations", "agent", [_url("portal_staff:installations", customer_id)]))
    to_escalate = list(
        Ticket.objects.filter(status=Ticket.Status.OPEN).exclude(defect_links__isnull=False)
        .order_by("-id").values_list("id", flat=True)[:10]
    )
    targets.append(Target("escalate page", "agent", [_url("tickets:escalate", pk) for pk in to_escalate]))
    # The similar open defects the escalate page then loads; measured as their own page.
    similar_pages = [_url("tickets:similar", pk) for pk in to_escalate]
    if all(similar_pages):
        targets.append(Target("escalate page, similar defects", "agent", similar_pages))
    queue = _first_url(["defects:queue", "defects:triage", "triage:queue"])
    if queue:
        targets.append(Target("triage queue (my teams)", "engineer", [queue]))
        if team is not None:
            targets.append(Target("triage queue, filtered", "engineer", [f"{queue}?team={team.pk}&severity=S2"]))
        targets.append(Target("triage queue, sorted and searched", "engineer", [
            f"{queue}?sort=created", f"{queue}?sort=-customers", f"{queue}?team=mine&status=open&q=export",
        ]))
        targets.append(Target("triage queue, saved views", "engineer", saved_view_paths(SavedView.List.QUEUE)))
    else:
        targets.append(_missing("triage queue", "engineer", "not available"))
    defects = _url("defects:list")
    targets.append(Target("defect list", "engineer", [defects]))
    targets.append(Target("defect list, sorted and searched", "engineer", [
        f"{defects}?sort=-customers", f"{defects}?sort=-key&status=in_progress", f"{defects}?q=export",
        f"{defects}?q=invoice%20timeout&sort=title",
    ]))
    targets.append(Target("defect list, saved views", "engineer", saved_view_paths(SavedView.List.DEFECTS)))
    targets.append(Target("release list", "manager", [_url("releases:list")]))
    if release is not None:
        targets.append(Target(f"release report ({release.n} fixes)", "manager", [_url("releases:report", release.pk)]))
        # The advice the report page then loads; measured as its own page, which costs a little more.
        advice = _url("releases:advice", release.pk)
        if advice:
            targets.append(Target("release report, upgrade advice", "manager", [advice]))
    targets.append(Target("manager charts", "manager", [_url("releases:charts")]))
    if release is not None:
        targets.append(Target("release page", "manager", [_url("releases:detail", release.pk)]))
    recent_defects = list(Defect.objects.order_by("-id").values_list("id", flat=True)[:25])
    linked_most = recent_defects[:5] + list(Defect.objects.order_by("-ticket_count").values_list("id", flat=True)[:5])
    targets.append(Target("defect page", "engineer", [_url("defects:detail", pk) for pk in recent_defects]))
    # Code traceability and tracker connections: pages of their own.
    targets.append(Target("defect code panel", "engineer", [_url("releases:defect-code", pk) for pk in recent_defects]))
    targets.append(Target("repository list", "manager", [_url("releases:repositories")]))
    repositories = Repository.objects.order_by("pk").values_list("pk", flat=True)[:10]
    targets.append(Target("repository page", "manager", [_url("releases:repository", pk) for pk in repositories]))
    targets.append(Target("tracker connections", "manager", [_url("sync:list")]))
    connections = Connection.objects.order_by("pk").values_list("pk", flat=True)[:10]
    targets.append(Target("tracker connection page", "manager", [_url("sync:detail", pk) for pk in connections]))
    # The product-management queue (managers triage requests as product managers do).
    requests_queue = _url("enhancements:queue")
    targets.append(Target("request queue", "manager", [
        requests_queue, f"{requests_queue}?product={product_id}&status=new",
    ]))
    targets.append(Target("top requests report", "manager", [f"{_url('enhancements:report')}?product={product_id}"]))
    # The newest requests, and the most wanted (thousands of tickets ask for the first).
    recent_requests = list(EnhancementRequest.objects.order_by("-id").values_list("id", flat=True)[:20])
    recent_requests += list(EnhancementRequest.objects.order_by("-ticket_count").values_list("id", flat=True)[:5])
    if recent_requests:
        targets.append(Target("request page", "manager", [_url("enhancements:detail", pk) for pk in recent_requests]))
    # The grouped notifications, whole and filtered to what needs the reader.
    notifications = _url("notifications")
    targets.append(Target("notifications", "agent", [notifications, f"{notifications}?show=needs_info"]))
    similar = _url("defect-similar") or "/api/defects/similar/"
    targets.append(Target("similar-defect search (API)", "agent", [
        f"{similar}?{requests.compat.urlencode({'q': title, 'product': pid})}" for title, pid in open_defects
    ], api=True))
    targets += portal_targets()
    api = "/api"
    targets += [
        Target("API tickets", "agent", [f"{api}/tickets/"], api=True),
        Target("API tickets, filtered", "agent", [
            f"{api}/tickets/?status=awaiting_engineering&product={product_id}", f"{api}/tickets/?escalated=true",
        ], api=True),
        Target("API defects", "engineer",
               [f"{api}/defects/", f"{api}/defects/?status=in_progress&product={product_id}"], api=True),
        Target("API releases", "manager", [f"{api}/releases/"], api=True),
        Target("API customers", "manager", [f"{api}/customers/"], api=True),
        Target("API repositories", "manager", [f"{api}/repositories/"], api=True),
        Target("API defect commits", "engineer", [f"{api}/defects/{pk}/commits/" for pk in recent_defects], api=True),
        # A defect's tickets, the most linked defects' among them.
        Target("API defect tickets", "engineer", [f"{api}/defects/{pk}/tickets/" for pk in linked_most], api=True),
        Target("API requests", "manager",
               [f"{api}/requests/", f"{api}/requests/?status=new&product={product_id}"], api=True),
        # One request, the most wanted among them (thousands of tickets), and its tickets, the largest page too.
        Target("API request", "manager", [f"{api}/requests/{pk}/" for pk in recent_requests], api=True),
        Target("API request tickets", "manager", [
            f"{api}/requests/{pk}/tickets/{query}" for pk in recent_requests[-5:] for query in ("", "?page_size=200")
        ], api=True),
        Target("API builds", "manager", [f"{api}/builds/"], api=True),
        Target("API notifications", "agent", [f"{api}/notifications/", f"{api}/notifications/groups/"], api=True),
        Target("API products", "agent", [f"{api}/products/"], api=True),
    ]
    targets.append(hook or _missing("webhook ingest", "hook", "not available"))
    return [t for t in targets if t.note or (t.paths and all(t.paths))]


def portal_targets() -> list[Target]:
    """The customer portal's ticket list and ticket page, as the contact of the busiest portal customer."""
    found = portal_contact()
    if found is None:
        return [_missing("portal ticket list", CONTACT, "no portal accounts seeded")]
    home = _url("portal:home")
    recent = list(Ticket.objects.filter(customer_id=found[1]).order_by("-id").values_list("id", flat=True)[:25])
    return [
        Target("portal ticket list", CONTACT, [home, f"{home}?show=all", f"{home}?show=all&page=2"]),
        Target("portal ticket page", CONTACT, [_url("portal:ticket", pk) for pk in recent]),
        Target("portal installations", CONTACT, [_url("portal:installations")]),
        Target("portal new ticket page", CONTACT, [_url("portal:ticket_new")]),
        Target("portal account", CONTACT, [_url("portal:account")]),
        # The portal's API answers a contact's session as its pages do.
        Target("API portal tickets", CONTACT, ["/api/portal/tickets/", "/api/portal/tickets/?page=2"]),
        Target("API portal installations", CONTACT, ["/api/portal/installations/"]),
    ]


BENCH_QUEUE = "handoff-bench"


def webhook_target() -> Target | None:
    """Signed GitHub deliveries to a bench connection's /hooks/<id>/, each with its own delivery id.

    The server queues the processing on BENCH_QUEUE, which no worker reads: the
    figure is what a tracker waits for, the answer, not the sync behind it.
    """
    import hashlib
    import hmac
    import json
    import secrets
    import uuid

    try:
        from sync.models import Connection
    except ImportError:
        return None
    connection, _ = Connection.objects.get_or_create(
        name="Bench GitHub", defaults={
            "kind": "github", "base_url": "http://127.0.0.1:9/", "token": secrets.token_hex(8),
            "project": "bench/handoff", "webhook_secret": secrets.token_hex(16),
        },
    )
    path = _url("sync:webhook", connection.pk)
    if path is None:
        return None
    keys = list(Defect.objects.order_by("-id").values_list("key", flat=True)[:50])
    secret = connection.webhook_secret.encode()

    def body(n: int) -> tuple[bytes, dict[str, str]]:
        # Each delivery a new state of the issue, as a tracker sends them: a body
        # seen before is a replay, answered as a duplicate.
        updated_at = f"2026-01-01T00:00:{n % 60:02d}.{uuid.uuid4().int % 10**6:06d}Z"
        payload = json.dumps({"action": "edited", "issue": {
            "number": 1000 + n % 50, "title": "Bench issue", "state": "open", "labels": [],
            "body": f"Portal defect {keys[n % len(keys)]}", "updated_at": updated_at,
            "html_url": f"http://127.0.0.1:9/bench/handoff/issues/{1000 + n % 50}",
        }}).encode()
        signature = "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()
        return payload, {
            "Content-Type": "application/json", "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature,
        }

    return Target("webhook ingest (signed, queued)", "hook", [path], goal_ms=HOOK_GOAL_MS,
                  method="POST", body=body, expect=(202,))

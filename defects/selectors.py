"""Reads of defects: similar-defect search, list querysets and the catalogues their pages offer."""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from core.plans import planned_for_values
from core.sorting import DESCENDING, Sorting, SortKey
from core.textsearch import ranked_like
from defects.models import Comment, Defect, Team, TicketDefectLink
from defects.services.comments import defect_thread_comments, ticket_thread_comments

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = {
    "the", "and", "for", "with", "when", "that", "this", "from", "not", "are", "was", "but",
    "have", "has", "had", "can", "cannot", "does", "doesn", "into", "after", "before", "our",
    "your", "you", "they", "them", "their", "its", "all", "any", "get", "got", "out",
}


def search_terms(text: str, *, limit: int = 12) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall((text or "").lower()):
        if word not in _STOP and word not in seen:
            seen.append(word)
    return seen[:limit]


# Most severe first, then most customers and tickets, then oldest: the defect_triage_order
# indexes (whole and per team), with the id last so that pages never overlap.
TRIAGE_ORDER = ("severity", "-customer_count", "-ticket_count", "created_at", "id")
# How the defect list and the queue may be sorted (`?sort=customers`, `?sort=-customers`);
# each key ends with the id and has an index (the Defect model's Meta) that serves it
# forwards and backwards. The default, severity, is the triage order.
DEFECT_SORTS = Sorting(
    {
        "severity": SortKey(TRIAGE_ORDER),
        "key": SortKey(("id",), first=DESCENDING),
        "title": SortKey(("title", "id")),
        "status": SortKey(("status", *TRIAGE_ORDER)),
        "customers": SortKey(("customer_count", "id"), first=DESCENDING),
        "tickets": SortKey(("ticket_count", "id"), first=DESCENDING),
        # Age: the oldest first on a first click.
        "created": SortKey(("created_at", "id")),
    },
    default="severity",
)
# The names a list row shows beside the defect's own columns, as joins (the defect list and
# the queue name products and teams from the catalogues their filter forms read instead).
ROW_NAMES = {
    "product_name": F("product__name"), "component_name": F("component__name"), "team_name": F("team__name"),
    "planned_version": F("planned_release__version"),
}


def defect_list() -> QuerySet[Defect]:
    """Every defect, with no joins: what a form picks one from by its id."""
    return Defect.objects.all()


def defect_list_queryset() -> QuerySet[Defect]:
    return Defect.objects.select_related(
        "product", "component", "team", "planned_release", "fixed_in_release"
    )


def similar_defects(*, text: str, product=None, limit: int = 10) -> list[Defect]:
    """Open defects whose title or description share words with `text`.

    Same product first, then by relevance. PostgreSQL ranks with full-text
    search; elsewhere the number of matching words ranks.
    """
    terms = search_terms(text)
    if not terms:
        return []
    # Ranked as bare ids (no joins carried through the sort of every match), then
    # the few winners read with their relations.
    # search_vector and its GIN index: migration defects 0005 (core/textsearch.py).
    ranked = ranked_like(
        Defect.objects.filter(status__in=Defect.OPEN_STATUSES), terms, fields=("title", "description")
    )
    ranked = ranked.order_by("-rank", "severity", "-created_at", "pk").values_list("pk", flat=True)
    ids = ranked_ids_product_first(ranked, product=product, limit=limit)
    rows = defect_list_queryset().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def ranked_ids_product_first(ranked: QuerySet, *, product, limit: int) -> list[int]:
    """The first `limit` ids of `ranked` (a ranked text search), those of `product` first.

    Two small ranked reads instead of ranking every match at once. How many rows share
    the words decides the plan, so the reads are planned for their values (core/plans.py).
    """
    product_id = getattr(product, "pk", product)
    with planned_for_values():
        if not product_id:
            return list(ranked[:limit])
        ids = list(ranked.filter(product_id=product_id)[:limit])
        if len(ids) < limit:
            ids += list(ranked.exclude(product_id=product_id)[: limit - len(ids)])
        return ids


_KEY = re.compile(r"[A-Z]{1,10}-\d{1,12}")


def search_defects(qs: QuerySet[Defect], text: str) -> QuerySet[Defect]:
    """The defects of `qs` that `text` names by key ("DEF-12"), or whose title or description hold
    every word of it (as a word's beginning on PostgreSQL, anywhere elsewhere).

    PostgreSQL matches on the stored search_vector and its GIN index, as similar_defects
    does (migration defects 0005); SQLite looks for each word in the title and description.
    Text with no word of three letters or more (stop words aside) is looked for in titles.
    """
    text = (text or "").strip()
    if not text:
        return qs
    if _KEY.fullmatch(text.upper()):
        return qs.filter(key=text.upper())
    terms = search_terms(text)
    if not terms:
        return qs.filter(title__icontains=text)
    if settings.IS_POSTGRES:
        query = " & ".join(f"{term}:*" for term in terms)
        return qs.filter(RawSQL(
            "defects_defect.search_vector @@ to_tsquery('english', %s)", (query,), output_field=BooleanField()
        ))
    for term in terms:
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
    return qs


@dataclass(frozen=True)
class Catalogues:
    """The (id, name) pairs a defect list's filters offer and its rows are named from, each read once.

    Team ids are strings (the team filter's values); product and component ids are ints.
    `my_team_ids` are the teams of the user the catalogues were read for.
    """

    teams: list[tuple[str, str]]
    products: list[tuple[int, str]]
    components: list[tuple[int, str]] = field(default_factory=list)
    my_team_ids: list[int] = field(default_factory=list)

    def name_rows(self, rows: list[dict]) -> None:
        """Name each row's product, team and (when read) component from these pairs: no joins for them."""
        products, teams = dict(self.products), {int(pk): name for pk, name in self.teams}
        components = dict(self.components)
        for row in rows:
            row["product_name"] = products.get(row["product_id"], "")
            row["team_name"] = teams.get(row["team_id"])
            if "component_id" in row:
                row["component_name"] = components.get(row["component_id"])


def team_choices(*, user=None) -> tuple[list[tuple[str, str]], list[int]]:
    """Every engineering team as (id, name), and in the same read the ids of `user`'s among them."""
    mine = Team.members.through.objects.filter(team_id=OuterRef("pk"), user_id=getattr(user, "pk", None))
    rows = list(team_list().annotate(mine=Exists(mine)).values_list("pk", "name", "mine"))
    return [(str(pk), name) for pk, name, _mine in rows], [pk for pk, _name, is_mine in rows if is_mine]


def _related(field_name: str):
    """The model a defect's relation points to: the defects app reaches the products, components
    and releases of the apps above it through its own relations, not by importing them."""
    return Defect._meta.get_field(field_name).related_model


def defect_catalogues(*, user=None, components: bool = False) -> Catalogues:
    """The defect list's catalogues (the queue's add its components and the user's teams)."""
    if user is None:
        teams = [(str(pk), name) for pk, name in team_list().values_list("pk", "name")]
        my_team_ids: list[int] = []
    else:
        teams, my_team_ids = team_choices(user=user)
    return Catalogues(
        teams=teams,
        products=list(_related("product").objects.values_list("pk", "name")),
        components=list(_related("component").objects.values_list("pk", "name")) if components else [],
        my_team_ids=my_team_ids,
    )


def _thread_rows(comments: QuerySet[Comment], elsewhere: str) -> QuerySet[Comment]:
    """The thread's comments with what defects/_thread.html shows of them.

    The author's name and, for a comment from the other side of the thread, the
    ticket's number or the defect's key (`elsewhere`): not the whole rows of the
    author, the ticket and the defect, descriptions included.
    """
    joined = elsewhere.split("__")[0]
    return comments.select_related("author", "author_contact", joined).only(
        "defect_id", "ticket_id", "body", "visibility", "side", "created_at", "edited_at", "deleted_at",
        "deleted_in", "from_customer", f"author__{get_user_model().USERNAME_FIELD}", "author_contact__name", elsewhere,
    )


# A defect's thread holds its tickets' shared comments too: thousands when thousands of tickets
# share it. Its page shows this many at a time, the newest first read.
THREAD_SHOWN = 100


@dataclass(frozen=True)
class ThreadWindow:
    """Comments of a thread, oldest first; `page` 1 holds the newest, and `earlier` says older ones remain."""

    comments: list[Comment]
    page: int = 1
    earlier: bool = False


def defect_thread_list(*, defect: Defect, user, page: int = 1) -> ThreadWindow:
    """The defect page's thread as `user` may read it, THREAD_SHOWN comments a page, newest page first:
    one query (one more comment read than shown tells whether older ones remain)."""
    page = max(page, 1)
    start = (page - 1) * THREAD_SHOWN
    newest_first = _thread_rows(defect_thread_comments(defect, user), "ticket__number").order_by("-created_at", "-id")
    rows = list(newest_first[start:start + THREAD_SHOWN + 1])
    return ThreadWindow(comments=rows[:THREAD_SHOWN][::-1], page=page, earlier=len(rows) > THREAD_SHOWN)


def ticket_thread_list(*, ticket, user, defect_ids: list[int] | None = None) -> list[Comment]:
    """The ticket page's thread as `user` may read it (`defect_ids`: its links' defects, if read): one query."""
    return list(_thread_rows(ticket_thread_comments(ticket, user, defect_ids=defect_ids), "defect__key"))


def defect_by_reference(reference: str) -> Defect | None:
    """The defect a person named by its key ("DEF-12", any case) or its id, or None."""
    value = reference.strip().upper()
    if not value:
        return None
    # isascii: "²" is a digit to isdigit() but not to int().
    return Defect.objects.filter(key=value).first() or (
        Defect.objects.filter(pk=int(value)).first() if value.isascii() and value.isdigit() else None
    )


def team_list() -> QuerySet[Team]:
    """The engineering teams, in the model's order: what the defect forms offer and check.
    (Product management's teams triage enhancement requests, never defects.)"""
    return Team.objects.filter(kind=Team.Kind.ENGINEERING)


@dataclass(frozen=True)
class BulkChoices:
    """What the queue's bulk form checks a posted action against (querysets: read only if used)."""

    defects: QuerySet[Defect]
    teams: QuerySet[Team]
    planned_releases: QuerySet


def bulk_action_choices() -> BulkChoices:
    release = _related("planned_release")
    return BulkChoices(
        defects=Defect.objects.all(),
        teams=team_list(),
        planned_releases=release.objects.filter(status=release.Status.PLANNED).select_related("product"),
    )


def product_release_list(*, product_id: int) -> list:
    """A product's releases, in their order, each with its product (their labels name it)."""
    return list(_related("planned_release").objects.filter(product_id=product_id).select_related("product"))


def planned_release_list(*, product_ids) -> list:
    """The planned releases of these products, in their order, each with its product."""
    release = _related("planned_release")
    return list(
        release.objects.filter(status=release.Status.PLANNED, product_id__in=list(product_ids))
        .select_related("product")
    )


def tracker_connection_active() -> bool:
    """Whether some tracker connection is enabled and not paused (a defect may then be linked to an issue).

    Read through Team.connection's model: the defect pages know the sync app's
    connections through that relation only, not by importing the app above them.
    """
    connection = Team._meta.get_field("connection").related_model
    return connection.objects.filter(enabled=True, paused=False).exists()


def ticket_link_rows(*, defect_id: int) -> QuerySet:
    """The defect's linked tickets, oldest link first, as the plain values its page shows.

    Read as values (no ticket, customer and user instances each), and paged by the caller:
    a defect many customers hit has thousands.
    """
    return TicketDefectLink.objects.filter(defect_id=defect_id).order_by("linked_at", "id").values(
        "ticket_id", "linked_at", number=F("ticket__number"), subject=F("ticket__subject"),
        status=F("ticket__status"), customer_name=F("ticket__customer__name"),
        linked_by_name=F(f"linked_by__{get_user_model().USERNAME_FIELD}"),
    )


@lru_cache(maxsize=1)
def _first_links_sql() -> str:
    """first_linked_tickets' statement, named from the models' own tables and columns."""
    link = TicketDefectLink._meta
    ticket = link.get_field("ticket").related_model._meta

    def column(meta, name: str) -> str:
        return f'"{meta.get_field(name).column}"'

    return " ".join([
        f'SELECT d.id, first.ticket_id, t.{column(ticket, "number")}',
        "FROM unnest(%s::bigint[]) AS d(id)",
        f'CROSS JOIN LATERAL (SELECT {column(link, "ticket")} AS ticket_id, {column(link, "linked_at")} AS linked_at,',
        f'"id" FROM "{link.db_table}" WHERE {column(link, "defect")} = d.id',
        f'ORDER BY {column(link, "linked_at")}, "id" LIMIT %s) first',
        f'JOIN "{ticket.db_table}" t ON t."id" = first.ticket_id',
        "ORDER BY first.linked_at, first.id",
    ])


def first_linked_tickets(defect_ids: list[int], limit: int) -> dict[int, list[tuple[int, str]]]:
    """Defect id -> (ticket id, number) of its first `limit` linked tickets, oldest link first.

    On PostgreSQL one statement, keeping `limit` links of each defect as it reads
    them from the defect's index. Numbering every link of the page's defects in a
    window instead read all of a much-linked defect's links, and took Django and the
    planner longer to build and plan (3.5 to 5 ms against 1.5 to 2 for 50 defects, planning included).
    """
    if not defect_ids:
        return {}
    first: dict[int, list[tuple[int, str]]] = {}
    connection = connections[TicketDefectLink.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_first_links_sql(), [list(defect_ids), limit])
            rows = cursor.fetchall()
    else:
        ranked = TicketDefectLink.objects.filter(defect_id__any_of=defect_ids).annotate(
            rank=Window(RowNumber(), partition_by=F("defect_id"), order_by=(F("linked_at"), F("id")))
        ).filter(rank__lte=limit)
        rows = (
            TicketDefectLink.objects.filter(pk__in=ranked.values("pk"))
            .order_by("linked_at", "id")
            .values_list("defect_id", "ticket_id", "ticket__number")
        )
    for defect_id, ticket_id, number in rows:
        first.setdefault(defect_id, []).append((ticket_id, number))
    return first


def defect_ticket_links(defect_id: int) -> QuerySet[TicketDefectLink]:
    """The defect's ticket links, oldest first, with each ticket and its customer: what the API writes of each."""
    return TicketDefectLink.objects.filter(defect_id=defect_id).select_related("ticket__customer").order_by(
        "linked_at", "id"
    )


def converted_request_id(defect: Defect) -> int | None:
    """The request a converted defect became (None for any other defect); no query unless it is converted.

    Read through the reverse relation of enhancements.Conversion, the app above
    that converts defects; its direction value is "to_request".
    """
    if defect.status != Defect.Status.CONVERTED:
        return None
    return defect.conversions.filter(direction="to_request").values_list("request_id", flat=True).first()


def defect_page_get(*, pk: int) -> Defect:
    """The defect with everything its page shows of its relations (Http404 when there is none)."""
    return get_object_or_404(
        defect_list_queryset().prefetch_related(
            "affected_versions", "attachments", "external_issues__connection", "external_issues__field_sources",
            "sync_conflicts",
        ),
        pk=pk,
    )


def open_defects_to_link(*, text: str, product_id: int, limit: int = 10) -> list[Defect]:
    """Open defects of one product that `text` names by key ("DEF-12") or id, or whose words it shares.

    What an agent finds when the suggestions miss the defect to link a ticket to:
    search_defects' matching (every word), best-ranked and most severe first.
    """
    text = (text or "").strip()
    if not text:
        return []
    qs = defect_list_queryset().filter(product_id=product_id, status__in=Defect.OPEN_STATUSES)
    named = defect_by_reference(text)
    if named is not None:
        return list(qs.filter(pk=named.pk))
    return list(search_defects(qs, text).order_by(*TRIAGE_ORDER)[:limit])

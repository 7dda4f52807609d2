"""Reads of defects: similar-defect search and list querysets."""

import re

from django.conf import settings
from django.db.models import BooleanField, Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from defects.models import Defect

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
# The names a list row shows beside the defect's own columns, as joins (the defect list and
# the queue name products and teams from the catalogues their filter forms read instead).
ROW_NAMES = {
    "product_name": F("product__name"), "component_name": F("component__name"), "team_name": F("team__name"),
    "planned_version": F("planned_release__version"),
}


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
    qs = Defect.objects.filter(status__in=Defect.OPEN_STATUSES)
    if settings.IS_POSTGRES:
        # The stored search_vector column and its GIN index (migration defects 0005):
        # the index finds the matches, and ranking reads the stored vector instead
        # of parsing every description again.
        query = " | ".join(terms)
        matches = RawSQL(
            "defects_defect.search_vector @@ to_tsquery('english', %s)", (query,), output_field=BooleanField()
        )
        rank = RawSQL(
            "ts_rank(defects_defect.search_vector, to_tsquery('english', %s))", (query,), output_field=FloatField()
        )
        ranked = qs.filter(matches).annotate(rank=rank)
    else:
        hits = Q()
        score = Value(0, output_field=IntegerField())
        for term in terms:
            hit = Q(title__icontains=term) | Q(description__icontains=term)
            hits |= hit
            score = score + Case(When(hit, then=Value(1)), default=Value(0), output_field=IntegerField())
        ranked = qs.filter(hits).annotate(rank=score)
    ranked = ranked.order_by("-rank", "severity", "-created_at", "pk").values_list("pk", flat=True)
    product_id = getattr(product, "pk", product)
    if not product_id:
        ids = list(ranked[:limit])
    else:
        # Same product first: two small ranked reads instead of ranking every match at once.
        ids = list(ranked.filter(product_id=product_id)[:limit])
        if len(ids) < limit:
            ids += list(ranked.exclude(product_id=product_id)[: limit - len(ids)])
    rows = defect_list_queryset().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]

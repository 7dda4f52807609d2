"""Reads of defects: similar-defect search and list querysets."""

import re

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

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
    qs = defect_list_queryset().filter(status__in=Defect.OPEN_STATUSES)
    product_id = getattr(product, "pk", product)
    same_product = (
        Case(When(product_id=product_id, then=Value(1)), default=Value(0), output_field=IntegerField())
        if product_id
        else Value(0, output_field=IntegerField())
    )
    if settings.IS_POSTGRES:
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "description", weight="B", config="english"
        )
        query = SearchQuery(" | ".join(terms), search_type="raw", config="english")
        qs = (
            qs.annotate(rank=SearchRank(vector, query), same_product=same_product)
            .filter(rank__gt=0)
            .order_by("-same_product", "-rank", "severity", "-created_at")
        )
    else:
        matches = Q()
        score = Value(0, output_field=IntegerField())
        for term in terms:
            hit = Q(title__icontains=term) | Q(description__icontains=term)
            matches |= hit
            score = score + Case(When(hit, then=Value(1)), default=Value(0), output_field=IntegerField())
        qs = (
            qs.filter(matches)
            .annotate(rank=score, same_product=same_product)
            .order_by("-same_product", "-rank", "severity", "-created_at")
        )
    return list(qs[:limit])

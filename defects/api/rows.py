"""The defect list's rows in the API, written from plain values.

GET /api/defects/ answers with DefectSerializer's shape (the schema documents it, and
tests/defects/test_api_defect_rows.py checks both give the same JSON), but a page's rows are
read as values and written here: built as defects with their product, component, team and
two releases, then walked field by field by the serializers, a page of 50 cost about twice this.
"""

from rest_framework.request import Request

from core.api import moment_data, url_maker
from releases.api.serializers import RELEASE_BRIEF_FIELDS, release_brief_data
from releases.models import Release

# What a row reads of the defect itself (LargeTablePaginator's row_fields). Its releases are
# read apart, by id: joining the release table twice more made PostgreSQL spend about 3 ms
# planning each page, several times what that read costs.
ROW_FIELDS = (
    "pk", "key", "kind", "title", "status", "severity", "impact", "urgency", "product_id", "product__name",
    "component_id", "component__name", "team_id", "team__name", "planned_release_id", "fixed_in_release_id",
    "customer_count", "ticket_count", "created_at", "updated_at",
)


def defect_rows_data(rows: list[dict], request: Request, format: str | None = None) -> list[dict]:
    """A page of defect rows (dicts of ROW_FIELDS) in DefectSerializer's shape, with one query for their releases."""
    release_ids = {row[name] for row in rows for name in ("planned_release_id", "fixed_in_release_id")} - {None}
    releases = {
        values[0]: release_brief_data(values)
        for values in Release.objects.filter(pk__any_of=list(release_ids)).values_list(*RELEASE_BRIEF_FIELDS)
    } if release_ids else {}
    defect_url = url_maker("defect-detail", request, format)
    return [
        {
            "id": row["pk"], "key": row["key"], "url": defect_url(row["pk"]), "kind": row["kind"],
            "title": row["title"], "status": row["status"], "severity": row["severity"], "impact": row["impact"],
            "urgency": row["urgency"], "product": row["product_id"], "product_name": row["product__name"],
            "component": row["component_id"], "component_name": row["component__name"], "team": row["team_id"],
            "team_name": row["team__name"], "planned_release": releases.get(row["planned_release_id"]),
            "fixed_in_release": releases.get(row["fixed_in_release_id"]), "customer_count": row["customer_count"],
            "ticket_count": row["ticket_count"], "created_at": moment_data(row["created_at"]),
            "updated_at": moment_data(row["updated_at"]),
        }
        for row in rows
    ]

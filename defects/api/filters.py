import django_filters

from defects.models import Defect, Team
from defects.selectors import DEFECT_SORTS, search_defects
from defects.severity import Severity
from tickets.models import Product


class DefectFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    status = django_filters.ChoiceFilter(choices=Defect.Status.choices)
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    search = django_filters.CharFilter(
        method="filter_search", max_length=200,
        help_text="A defect key (DEF-12), or words the title or description hold, all of them.",
    )
    sort = django_filters.ChoiceFilter(
        choices=DEFECT_SORTS.choices(), method="filter_sort",
        help_text="The order: severity (the triage order, the default), key, title, status, customers, tickets "
        "or created; a leading - reverses it.",
    )

    class Meta:
        model = Defect
        fields = ["team", "severity", "status", "product", "search", "sort"]

    def filter_search(self, queryset, name, value):
        return search_defects(queryset, value)

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*DEFECT_SORTS.order_by(value))

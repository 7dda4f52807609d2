import django_filters

from defects.models import Defect, Team
from defects.severity import Severity
from tickets.models import Product


class DefectFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    status = django_filters.ChoiceFilter(choices=Defect.Status.choices)
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())

    class Meta:
        model = Defect
        fields = ["team", "severity", "status", "product"]

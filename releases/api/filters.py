import django_filters

from releases.models import Release
from tickets.models import Product


class ReleaseFilter(django_filters.FilterSet):
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    status = django_filters.ChoiceFilter(choices=Release.Status.choices)

    class Meta:
        model = Release
        fields = ["product", "status"]

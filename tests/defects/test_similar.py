import pytest
from django.db import connection

from defects.models import Defect
from defects.selectors import search_terms, similar_defects
from tickets.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["word match", "full-text"])
def search(request, settings):
    """Both ways of ranking: word matching everywhere, full-text search on PostgreSQL."""
    if request.param == "full-text" and connection.vendor != "postgresql":
        pytest.skip("full-text ranking needs PostgreSQL")
    settings.IS_POSTGRES = request.param == "full-text"
    return similar_defects


def make_defect(product, title, *, status=Defect.Status.NEW, description=""):
    defect = Defect.objects.create(
        key=f"tmp-{Defect.objects.count()}", product=product, title=title, description=description,
        impact="single_user", urgency="degraded", severity="S3", status=status,
    )
    Defect.objects.filter(pk=defect.pk).update(key=f"DEF-{defect.pk}")
    return defect


@pytest.fixture
def crm(db):
    return Product.objects.create(name="CRM", code="crm")


def test_a_defect_of_the_same_product_comes_first(search, product, crm):
    elsewhere = make_defect(crm, "Invoice export times out on large invoices")
    here = make_defect(product, "Export hangs")
    found = search(text="Invoice export times out", product=product)
    assert found == [here, elsewhere]


def test_more_shared_words_rank_higher_within_a_product(search, product):
    weak = make_defect(product, "Login page slow", description="The export button is grey")
    strong = make_defect(product, "PDF export of invoices times out")
    found = search(text="PDF export times out for invoices", product=product)
    assert found[0] == strong
    assert weak in found


def test_closed_defects_are_not_offered(search, product):
    make_defect(product, "PDF export times out", status=Defect.Status.RELEASED)
    make_defect(product, "PDF export times out again", status=Defect.Status.WONT_FIX)
    still_open = make_defect(product, "PDF export times out slowly", status=Defect.Status.IN_PROGRESS)
    assert search(text="PDF export times out", product=product) == [still_open]


def test_unrelated_defects_are_not_offered(search, product):
    make_defect(product, "Dark mode colours are wrong")
    assert search(text="PDF export times out", product=product) == []


def test_words_in_the_description_count(search, product):
    defect = make_defect(product, "Timeout", description="Happens when exporting invoices to PDF")
    assert search(text="invoices pdf", product=product) == [defect]


def test_without_a_product_every_product_is_searched(search, product, crm):
    a = make_defect(product, "Invoice export fails")
    b = make_defect(crm, "Invoice export fails too")
    assert set(search(text="invoice export", product=None)) == {a, b}


def test_the_limit_bounds_the_list(search, product):
    for n in range(5):
        make_defect(product, f"Invoice export fails case {n}")
    assert len(search(text="invoice export", product=product, limit=3)) == 3


def test_text_with_only_short_or_common_words_finds_nothing(product):
    make_defect(product, "It is at the top")
    assert similar_defects(text="it is at the", product=product) == []


def test_search_terms_drop_short_and_common_words_and_repeats():
    assert search_terms("The PDF export, the PDF EXPORT: it fails!") == ["pdf", "export", "fails"]

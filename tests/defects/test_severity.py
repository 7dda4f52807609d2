import pytest

from defects.severity import MATRIX, Impact, Urgency, compute_severity, more_severe

# The matrix as the help desk's guide prints it: impact down, urgency across.
EXPECTED = {
    "single_user": {"workaround": "S4", "degraded": "S3", "blocked": "S3"},
    "multiple_users": {"workaround": "S4", "degraded": "S3", "blocked": "S2"},
    "entire_customer": {"workaround": "S3", "degraded": "S2", "blocked": "S2"},
    "multiple_customers": {"workaround": "S3", "degraded": "S2", "blocked": "S1"},
}
CELLS = [(impact, urgency, sev) for impact, row in EXPECTED.items() for urgency, sev in row.items()]


@pytest.mark.parametrize("impact,urgency,severity", CELLS)
def test_each_cell_of_the_matrix(impact, urgency, severity):
    assert compute_severity(impact, urgency) == severity


def test_the_matrix_has_all_twelve_cells_and_no_more():
    assert len(CELLS) == 12
    assert set(MATRIX) == {(i, u) for i in Impact.values for u in Urgency.values}


@pytest.mark.parametrize("impact,urgency", [("everyone", "blocked"), ("single_user", "asap")])
def test_an_unknown_impact_or_urgency_is_an_error(impact, urgency):
    with pytest.raises(ValueError):
        compute_severity(impact, urgency)


def test_the_result_is_a_plain_string():
    assert type(compute_severity("single_user", "workaround")) is str


def test_more_severe_picks_the_lower_number():
    assert more_severe("S3", "S1") == "S1"
    assert more_severe("S2", "S4") == "S2"

"""The change from the previous month and its 95% test (docs/metrics.md), exact values worked
out by hand from the formulas."""

from __future__ import annotations

import pytest

from survey_core import month_change


def test_csat_change_is_a_pooled_two_proportion_z_test():
    # 40 of 50 satisfied, then 30 of 50: pooled p = 0.7, se = sqrt(0.7 x 0.3 x 2/50).
    change = month_change.csat({4: 20, 5: 20, 1: 10}, {5: 30, 2: 20})
    assert change["delta"] == pytest.approx(-20.0, abs=1e-12)
    assert change["statistic"] == pytest.approx(-2.182178902359924, rel=1e-12)
    assert change["significant"] is True


def test_nps_change_divides_the_difference_by_both_standard_errors():
    # 25 then -25 (n = 20 each): variance 10000 x (0.75 - 0.0625) / 20 = 343.75 points^2 each.
    change = month_change.nps({10: 10, 7: 5, 3: 5}, {9: 5, 8: 5, 0: 10})
    assert change["delta"] == -50.0
    assert change["statistic"] == pytest.approx(-1.9069251784911845, rel=1e-12)
    assert change["significant"] is False


def test_ces_change_is_welchs_t_test_with_its_degrees_of_freedom_rounded_down():
    # 1.5 (var 2.5/9, n 10) then 3.0 (var 1.2, n 6): t = 1.5 / sqrt(0.02778 + 0.2), df 6.417.
    assert month_change.welch_df(2.5 / 9, 10, 1.2, 6) == 6
    change = month_change.ces({1: 5, 2: 5}, {2: 3, 4: 3})
    assert change["delta"] == 1.5
    assert change["statistic"] == pytest.approx(3.142936330963102, rel=1e-12)
    assert change["significant"] is True


def test_a_ces_change_beyond_z_but_within_t_is_not_significant():
    # t = 2.2 on df = floor(4.03) = 4, whose critical value is 2.7764.
    change = month_change.ces({1: 2, 3: 1}, {2: 1, 4: 3})
    assert change["statistic"] == pytest.approx(2.2, rel=1e-12)
    assert change["significant"] is False


def test_response_rate_change_is_a_two_proportion_z_test():
    change = month_change.proportions((30, 100), (45, 100))
    assert change["delta"] == pytest.approx(15.0, abs=1e-12)
    assert change["statistic"] == pytest.approx(2.1908902300206647, rel=1e-12)
    assert change["significant"] is True


@pytest.mark.parametrize(
    ("previous", "current", "statistic", "significant"),
    [(10, 25, 2.53546276418555, True), (10, 15, 1.0, False), (3, 0, -1.7320508075688772, False)],
)
def test_complaint_count_change_is_the_poisson_z_test(previous, current, statistic, significant):
    change = month_change.counts(previous, current)
    assert change["delta"] == current - previous
    assert change["statistic"] == pytest.approx(statistic, rel=1e-12)
    assert change["significant"] is significant


@pytest.mark.parametrize(
    ("test", "previous", "current", "delta"),
    [
        (month_change.csat, None, {5: 3}, None),  # no answers last month
        (month_change.csat, {5: 3}, {5: 4}, 0.0),  # no variance at all
        (month_change.nps, {10: 1}, {0: 1}, -200.0),  # one answer each
        (month_change.ces, {1: 4}, {1: 2}, 0.0),  # no variance
        (month_change.ces, {1: 1}, {5: 9, 4: 1}, 3.9),  # n = 1 last month
    ],
)
def test_no_test_is_made_without_enough_answers_or_variance(test, previous, current, delta):
    change = test(previous, current)
    assert change["significant"] is None and change["statistic"] is None
    assert change["delta"] == (pytest.approx(delta) if delta is not None else None)


@pytest.mark.parametrize("shares", [((5, 3), (1, 2)), ((-1, 2), (1, 2)), ((0, 0), (1, 2))])
def test_impossible_shares_make_no_test(shares):
    assert month_change.proportions(*shares) == {
        "delta": None,
        "statistic": None,
        "significant": None,
    }

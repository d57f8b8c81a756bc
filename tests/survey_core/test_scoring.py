"""Scoring maths: exact values worked out independently (numpy/scipy on the raw answers)."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey_core.scoring import Z, ces, csat, merge, nps, t_quantile, wilson

CSAT_HIST = {"5": 40, "4": 30, "3": 10, "2": 5, "1": 15}
NPS_HIST = {"10": 20, "9": 20, "8": 15, "7": 10, "6": 5, "3": 10, "0": 20}


def test_z_is_the_exact_normal_quantile():
    assert Z == 1.959963984540054
    assert t_quantile(99) == pytest.approx(1.9842169515864174, abs=1e-12)


# scipy.stats.t.ppf(0.975, df) (scipy 1.17), computed once: the service no longer imports scipy.
T_QUANTILES = [
    (1, 12.706204736174694),
    (2, 4.302652729749462),
    (3, 3.1824463052837078),
    (4, 2.7764451051977934),
    (5, 2.5705818356363146),
    (7, 2.364624251592784),
    (10, 2.228138851986274),
    (29, 2.045229642132703),
    (30, 2.0422724563012378),
    (99, 1.9842169515864174),
    (100, 1.9839715185235518),
    (250, 1.9694983934211532),
    (463, 1.9651008728301518),
    (499, 1.9647293909876886),
    (500, 1.9647198374673676),
    (501, 1.9647103221754827),
    (999, 1.9623414611334493),
    (1000, 1.9623390808264083),
    (5000, 1.9604385517065073),
    (100000, 1.9599877075346095),
    (1000000, 1.959966356814107),
]


@pytest.mark.parametrize("df, expected", T_QUANTILES)
def test_t_quantiles_match_scipy_to_double_precision(df, expected):
    assert abs(t_quantile(df) - expected) <= 1e-13


def test_t_quantiles_fall_towards_z():
    values = [t_quantile(df) for df in range(1, 2000)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > Z and 0 < t_quantile(10**9) - Z < 3e-9


def test_csat_top_two_box_wilson_and_mean_t_interval():
    result = csat(CSAT_HIST)
    assert result["value"] == 70.0 and result["n"] == 100 and result["mean"] == 3.75
    assert result["ci"] == pytest.approx([60.415145366653334, 78.10511470506725], abs=1e-9)
    assert result["mean_ci"] == pytest.approx([3.468858390393904, 4.031141609606096], abs=1e-9)


def test_nps_score_se_and_adjusted_wald_interval():
    result = nps(NPS_HIST)
    assert result["value"] == pytest.approx(5.0, abs=1e-12)
    assert (result["promoters"], result["passives"], result["detractors"]) == (40, 25, 35)
    assert result["se"] == pytest.approx(8.645808232895295, abs=1e-9)
    assert result["ci"] == pytest.approx([-11.762589213670802, 21.471327077748466], abs=1e-9)


def test_nps_plain_wald_on_request():
    result = nps(NPS_HIST, interval="wald")
    assert result["ci"] == pytest.approx(
        [5 - Z * 8.645808232895295, 5 + Z * 8.645808232895295], abs=1e-9
    )


def test_nps_adjusted_interval_is_clipped_but_score_is_raw():
    result = nps({"10": 3})
    assert result["value"] == 100.0
    assert result["ci"][1] == 100.0 or result["ci"][1] <= 100.0
    assert -100 <= result["ci"][0] <= 100


def test_ces_mean_t_interval_and_low_effort_share():
    result = ces({"1": 10, "2": 20, "3": 5, "5": 1})
    assert result["value"] == pytest.approx(1.9444444444444444, abs=1e-12)
    assert result["ci"] == pytest.approx([1.6649122525544309, 2.223976636334458], abs=1e-9)
    assert result["low_effort_pct"] == pytest.approx(100 * 30 / 36)


def test_margin_of_error_of_a_half_on_784_is_three_and_a_half_points():
    low, high = wilson(392, 784)
    assert (high - low) / 2 == pytest.approx(3.5, abs=0.01)


def test_no_answers_gives_nulls_not_errors():
    assert csat({}) == {"value": None, "mean": None, "n": 0, "ci": None, "mean_ci": None}
    assert nps(None)["value"] is None and nps(None)["ci"] is None and nps(None)["se"] is None
    assert ces({})["value"] is None and ces({})["low_effort_pct"] is None


def test_one_answer_has_no_t_interval():
    assert csat({"4": 1})["mean_ci"] is None and csat({"4": 1})["ci"] is not None
    assert ces({"2": 1})["ci"] is None


def test_identical_answers_have_a_zero_width_mean_interval():
    assert ces({"3": 10})["ci"] == [3.0, 3.0]


def test_scores_outside_the_scale_are_ignored():
    assert csat({"0": 5, "6": 2, "5": 1})["n"] == 1
    assert nps({"11": 3, "10": 1})["n"] == 1


def test_unknown_interval_is_refused():
    with pytest.raises(ValueError):
        nps(NPS_HIST, interval="exact")


answers_1_5 = st.lists(st.integers(1, 5), max_size=200)
answers_0_10 = st.lists(st.integers(0, 10), max_size=200)


def hist(values):
    return {str(k): v for k, v in Counter(values).items()}


@given(answers_1_5, answers_1_5)
def test_merging_histograms_equals_scoring_the_concatenated_answers(a, b):
    assert csat(merge([hist(a), hist(b)])) == csat(hist(a + b))
    assert ces(merge([hist(a), hist(b)])) == ces(hist(a + b))


@given(answers_0_10, answers_0_10)
def test_nps_merge_property_and_bounds(a, b):
    merged = nps(merge([hist(a), hist(b)]))
    assert merged == nps(hist(a + b))
    if merged["n"]:
        assert -100 <= merged["value"] <= 100
        assert -100 <= merged["ci"][0] <= merged["ci"][1] <= 100
        assert merged["promoters"] + merged["passives"] + merged["detractors"] == merged["n"]


@given(answers_1_5)
def test_csat_matches_its_definition_on_raw_answers(values):
    result = csat(hist(values))
    assert result["n"] == len(values)
    if values:
        top2 = sum(v >= 4 for v in values)
        assert result["value"] == pytest.approx(100 * top2 / len(values))
        assert result["mean"] == pytest.approx(sum(values) / len(values))
        low, high = result["ci"]
        assert 0 <= low <= result["value"] + 1e-9 and result["value"] - 1e-9 <= high <= 100
        if len(values) > 1:
            sd = math.sqrt(sum((v - result["mean"]) ** 2 for v in values) / (len(values) - 1))
            half = t_quantile(len(values) - 1) * sd / math.sqrt(len(values))
            expected = [max(1, result["mean"] - half), min(5, result["mean"] + half)]
            assert result["mean_ci"] == pytest.approx(expected, abs=1e-9)


def test_t_intervals_of_means_are_clipped_to_one_to_five():
    # 2, 3 and 5: the t interval is -0.46..7.13 before clipping; the mean stays 10/3.
    result = ces({"2": 1, "3": 1, "5": 1})
    assert result["value"] == pytest.approx(10 / 3, abs=1e-12)
    assert result["ci"] == [1.0, 5.0]
    assert csat({"2": 1, "3": 1, "5": 1})["mean_ci"] == [1.0, 5.0]
    low_only = ces({"1": 2, "4": 1})  # mean 2, t interval 2 -+ 7.45
    assert low_only["ci"] == [1.0, 5.0] and low_only["value"] == 2.0


def test_training_criteria_intervals_are_clipped_to_the_rating_scale():
    from survey_core.ranking import rating

    result = rating({"5": 2, "1": 1})
    assert result["mean"] == pytest.approx(11 / 3) and result["ci"] == [1.0, 5.0]
    narrow = rating(CSAT_HIST)  # far from the ends: unchanged by clipping
    assert narrow["ci"] == pytest.approx([3.468858390393904, 4.031141609606096], abs=1e-9)


def test_the_plain_wald_nps_interval_is_clipped_to_plus_minus_one_hundred():
    result = nps({"10": 2, "0": 1}, interval="wald")
    se = math.sqrt((1 - 1 / 9) / 3)
    assert result["value"] == pytest.approx(100 / 3)
    assert result["ci"] == [pytest.approx(100 * (1 / 3 - Z * se)), 100.0]
    assert nps({"0": 1, "10": 1}, interval="wald")["ci"] == [-100.0, 100.0]


@given(answers_1_5, answers_0_10)
def test_every_interval_lies_on_its_scale_around_its_point_estimate(ratings, scores):
    from survey_core.ranking import rating

    checks = [
        (csat(hist(ratings))["ci"], csat(hist(ratings))["value"], 0, 100),
        (csat(hist(ratings))["mean_ci"], csat(hist(ratings))["mean"], 1, 5),
        (ces(hist(ratings))["ci"], ces(hist(ratings))["value"], 1, 5),
        (rating(hist(ratings))["ci"], rating(hist(ratings))["mean"], 1, 5),
        (nps(hist(scores), "wald")["ci"], nps(hist(scores), "wald")["value"], -100, 100),
        (nps(hist(scores))["ci"], None, -100, 100),  # adjusted: centred elsewhere
    ]
    for interval, point, low, high in checks:
        if interval is None:
            continue
        assert low <= interval[0] <= interval[1] <= high
        assert all(isinstance(bound, float) for bound in interval)  # 1.0, never the int 1
        if point is not None:
            assert interval[0] - 1e-9 <= point <= interval[1] + 1e-9

"""The QA sampler: reproducible for a seed, even over agents and time, never a scored contact."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from survey_core.reports.sampling import Contact, is_detractor, sample, strata

START = datetime(2026, 10, 1, tzinfo=UTC)
AGENTS = st.sampled_from(["A1", "A2", "B:7", "代理", "A|1"])
CONTACTS = st.lists(
    st.builds(
        lambda i, agent, minutes, detractor: Contact(
            f"web:T{i}", agent, START + timedelta(minutes=minutes), detractor
        ),
        st.integers(0, 10_000),
        AGENTS,
        st.integers(0, 31 * 24 * 60),
        st.booleans(),
    ),
    max_size=80,
    unique_by=lambda c: c.rid,
)


@given(CONTACTS, st.integers(1, 12), st.text(max_size=8), st.floats(1, 10))
def test_the_same_seed_gives_the_same_sample_whatever_the_input_order(
    contacts, per_agent, seed, weight
):
    first = sample(contacts, per_agent, seed, detractor_weight=weight)
    again = sample(list(reversed(contacts)), per_agent, seed, detractor_weight=weight)
    assert first == again


@given(CONTACTS, st.integers(1, 12), st.text(max_size=8), st.data())
def test_no_scored_contact_is_ever_sampled(contacts, per_agent, seed, data):
    scored = {c.rid for c in contacts if data.draw(st.booleans())}
    chosen = sample(contacts, per_agent, seed, scored)
    assert not {c.rid for c in chosen} & scored
    assert len({c.rid for c in chosen}) == len(chosen)


@given(CONTACTS, st.integers(1, 12), st.text(max_size=8))
def test_every_agent_gets_per_agent_contacts_or_all_of_theirs(contacts, per_agent, seed):
    chosen = Counter(c.agent for c in sample(contacts, per_agent, seed))
    available = Counter(c.agent for c in contacts)
    assert chosen == Counter({a: min(per_agent, n) for a, n in available.items()})


@given(CONTACTS, st.integers(1, 12), st.text(max_size=8), st.floats(1, 10))
def test_each_agents_sample_takes_one_contact_from_each_stretch_of_the_month(
    contacts, per_agent, seed, weight
):
    chosen = sample(contacts, per_agent, seed, detractor_weight=weight)
    for agent in {c.agent for c in contacts}:
        own = sorted((c for c in contacts if c.agent == agent), key=lambda c: (c.at, c.rid))
        picks = [own.index(c) for c in chosen if c.agent == agent]
        runs = strata(len(own), len(picks))
        assert [i in run for i, run in zip(picks, runs, strict=True)] == [True] * len(picks)


def test_strata_cut_the_month_into_runs_of_nearly_equal_size():
    assert [len(r) for r in strata(10, 3)] == [3, 3, 4]
    assert [list(r) for r in strata(4, 4)] == [[0], [1], [2], [3]]


def test_another_seed_draws_another_sample():
    contacts = [Contact(f"web:T{i}", "A1", START + timedelta(hours=i), False) for i in range(200)]
    assert sample(contacts, 5, "2026-10") != sample(contacts, 5, "2026-10b")


def test_weighting_detractors_makes_them_likelier_in_exact_proportion():
    # One stratum of 1 detractor and 3 others: weight 3 gives the detractor 3/6 of the draws.
    contacts = [
        Contact(f"web:T{i}", f"A{i // 4}", START + timedelta(hours=i % 4), i % 4 == 0)
        for i in range(4000)
    ]
    plain = sum(c.detractor for c in sample(contacts, 1, "s"))
    weighted = sum(c.detractor for c in sample(contacts, 1, "s", detractor_weight=3.0))
    assert 200 < plain < 300  # 1/4 of 1000 draws
    assert 440 < weighted < 560  # 3/6 of 1000 draws


def test_a_detractor_is_nps_0_to_6_else_csat_1_or_2():
    assert is_detractor({"nps": 6}) and not is_detractor({"nps": 7, "csat": 1})
    assert is_detractor({"csat": 2}) and not is_detractor({"csat": 3})
    assert not is_detractor({})

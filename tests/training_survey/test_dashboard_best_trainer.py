"""The dashboard's best-trainer section: eligible trainers first (the best on top, under the
heading naming it), the others after them with why they are not eligible."""

from __future__ import annotations

import re

import aggregator
from tests.aggregator.test_dashboard import sign_in
from tests.training_survey.test_ranking_report import given


def test_eligible_trainers_come_first_and_the_others_say_why(
    client, trainer, session, config, api_key
):
    for trainer_id in ("A", "B", "C"):
        trainer(trainer_id, name=f"Trainer {trainer_id}")
    # C's two fives score above B's six fours, but two evaluations are fewer than 5.
    given(client, session, {"A": [5, 5, 4, 5, 4, 5], "B": [4] * 6, "C": [5, 5]})
    dashboard = aggregator.create_app({**config, "ANONYMITY_MIN": "2"}).test_client()
    sign_in(dashboard, api_key("read")["Authorization"][7:])
    html = dashboard.get("/dashboard?month=2026-10&lang=en-US").get_data(as_text=True)
    ranked = re.search(r'<table id="ranking">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'data-trainer="(\w)"><td>(\d)</td>', ranked) == [("A", "1"), ("B", "2")]
    assert '<span id="best">Trainer A</span>' in html
    others = re.search(r'<table id="not-eligible">(.*?)</table>', html, re.S).group(1)
    assert 'data-trainer="C"' in others
    assert '<td class="why">2 evaluations, fewer than the 5 needed</td>' in others

"""The questionnaire page's steps without a browser: what a step carries, and posts that
tamper with the step or with the answers carried."""

from __future__ import annotations

import pytest

from tests.pipeline import fold
from tests.web_survey.conftest import csrf_of, page_path

REASON = "low_score_reason"


def _post(client, path, html, **fields):
    return client.post(path, data={"csrf_token": csrf_of(html), **fields})


def test_a_low_score_shows_the_reason_step_carrying_the_first_steps_answers(client, invite, db):
    path = page_path(invite("T1", lang="en-US"))
    html = client.get(path).get_data(as_text=True)
    assert f'name="{REASON}"' not in html
    step = _post(client, path, html, csat="1", nps="9", ces="3", comment="slow")
    page = step.get_data(as_text=True)
    assert step.status_code == 200 and f'name="{REASON}"' in page
    for hidden in ('name="step" value="2"', 'name="csat" value="1"', 'name="comment" value="slow"'):
        assert hidden in page
    assert db.events.count_documents({"kind": "submit"}) == 0  # nothing stored before the end
    done = _post(
        client,
        path,
        page,
        step="2",
        csat="1",
        nps="9",
        ces="3",
        comment="slow",
        **{REASON: "price_is_not_an_option"},
    )
    assert done.status_code == 422
    done = _post(
        client,
        path,
        page,
        step="2",
        csat="1",
        nps="9",
        ces="3",
        comment="slow",
        **{REASON: "transfers"},
    )
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    fold(db)
    assert db.responses.find_one()["answers"] == {
        "csat": 1,
        "nps": 9,
        "ces": 3,
        "comment": "slow",
        REASON: "transfers",
    }


@pytest.mark.parametrize("step", ["", "0", "-1", "99", "٣", "1e9", "2" * 40])
def test_any_step_number_is_a_page_never_a_500(client, invite, step):
    path = page_path(invite("T1", lang="en-US"))
    html = client.get(path).get_data(as_text=True)
    response = _post(client, path, html, step=step, csat="2", nps="9", ces="3")
    page = response.get_data(as_text=True)
    if step == "99":  # a step past the last is the last: submitted, the reason being optional
        assert response.status_code == 200 and "Thank you" in page
    else:
        assert response.status_code == 200 and f'name="{REASON}"' in page


def test_a_reason_smuggled_in_for_a_good_score_is_not_stored(client, invite, db):
    path = page_path(invite("T1", lang="en-US"))
    html = client.get(path).get_data(as_text=True)
    response = _post(
        client, path, html, step="2", csat="5", nps="9", ces="3", **{REASON: "waiting"}
    )
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    fold(db)
    assert db.responses.find_one()["answers"] == {"csat": 5, "nps": 9, "ces": 3}

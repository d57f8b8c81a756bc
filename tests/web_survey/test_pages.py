"""The questionnaire page: plain HTML forms, answers kept on error, once per link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from survey_core.tokens import read_link, sign_link
from tests.pipeline import fold
from tests.web_survey.conftest import csrf_of, page_path

FORM = {"csat": "5", "nps": "9", "ces": "2", "comment": "Quick and kind."}


def post_form(client, path, html, **answers):
    data = {"csrf_token": csrf_of(html), **answers}
    return client.post(path, data=data)


def test_opening_the_page_starts_the_response(client, invite, db):
    invitation = invite("T1", lang="en-US")
    page = client.get(page_path(invitation))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en-US">' in html
    assert html.count("<fieldset") == 4 and html.count("<legend") == 4
    assert len(re.findall(r'type="radio" name="nps"', html)) == 11
    assert "Not at all likely" in html and "Extremely likely" in html
    assert len(re.findall(r'type="radio" name="csat"', html)) == 5
    assert "<script" not in html
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["status"] == "in_progress"


def test_a_link_nobody_opened_counts_as_offered_only(client, invite, db, api_key):

    invite("T1")
    opened = invite("T2")
    client.get(page_path(opened))
    fold(db)
    statuses = {r["_id"]: r["status"] for r in db.responses.find()}
    assert statuses == {"chat:T1": "invited", "chat:T2": "in_progress"}


def test_the_page_speaks_the_invitations_language_and_switches(client, invite):
    invitation = invite("T1", lang="zh-CN")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "提交" in html and "完全不可能" in html
    switched = client.get(page_path(invitation) + "?lang=en-US").get_data(as_text=True)
    assert '<html lang="en-US">' in switched and "Submit" in switched


def test_submitting_the_form_thanks_and_stores_the_answers(client, invite, db):
    invitation = invite("T1", lang="en-US")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    done = post_form(client, page_path(invitation), html, **FORM)
    assert done.status_code == 200
    assert "Thank you for your feedback!" in done.get_data(as_text=True)
    fold(db)
    record = db.responses.find_one({"_id": "chat:T1"})
    assert record["status"] == "complete"
    assert record["answers"] == {"csat": 5, "nps": 9, "ces": 2, "comment": "Quick and kind."}


def test_a_missing_answer_shows_the_form_again_with_every_answer_kept(client, invite, db):
    invitation = invite("T1", lang="en-US")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    answers = {k: v for k, v in FORM.items() if k != "nps"}
    again = post_form(client, page_path(invitation), html, **answers)
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#nps-input"' in page
    assert 'id="nps-error"' in page and "Please answer this question." in page
    assert re.search(r'name="csat" value="5" id="csat-5" checked', page)
    assert re.search(r'name="ces" value="2" id="ces-2" checked', page)
    assert "Quick and kind.</textarea>" in page
    assert db.events.count_documents({"kind": "submit"}) == 0


@pytest.mark.parametrize("digits", ["٣", "²", "3.5", "11", "-1"])
def test_a_score_that_is_not_ascii_digits_in_range_is_refused(client, invite, digits):
    invitation = invite("T1", lang="en-US")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    again = post_form(client, page_path(invitation), html, **{**FORM, "nps": digits})
    assert again.status_code == 422
    assert 'id="nps-error"' in again.get_data(as_text=True)


def test_reopening_an_answered_link_says_already_answered(client, invite):
    invitation = invite("T1", lang="en-US")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    assert post_form(client, page_path(invitation), html, **FORM).status_code == 200
    again = client.get(page_path(invitation))
    assert again.status_code == 409
    assert "already answered" in again.get_data(as_text=True)
    double = post_form(client, page_path(invitation), html, **FORM)
    assert double.status_code == 409


def test_an_expired_link_is_a_friendly_410(client, invite, app):
    invitation = invite("T1")
    secret = app.config["SETTINGS"].secret_key
    link_id, _ = read_link(secret, "survey", invitation["token"])
    expired = sign_link(secret, "survey", link_id, datetime.now(UTC) - timedelta(hours=1))
    response = client.get(f"/s/{expired}")
    assert response.status_code == 410
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("token", ["nonsense", "a" * 300, "W10.xyz", "%00"])
def test_a_tampered_or_unknown_link_is_a_404_page(client, token):
    response = client.get(f"/s/{token}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_post_without_the_forms_csrf_token_is_refused(client, invite, db):
    invitation = invite("T1")
    client.get(page_path(invitation))
    response = client.post(page_path(invitation), data=FORM)
    assert response.status_code == 400
    assert db.events.count_documents({"kind": "submit"}) == 0


def test_a_post_from_another_site_is_refused(client, invite):
    invitation = invite("T1")
    html = client.get(page_path(invitation)).get_data(as_text=True)
    data = {"csrf_token": csrf_of(html), **FORM}
    response = client.post(
        page_path(invitation), data=data, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400


def test_pages_send_strict_security_headers(client, invite):
    headers = client.get(page_path(invite("T1"))).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_frame_ancestors_is_configurable_for_embedding(config, invite, db):
    from web_survey import create_app

    app = create_app({**config, "FRAME_ANCESTORS": "https://help.example.com"})
    client = app.test_client()
    headers = client.get(page_path(invite("T1"))).headers
    assert "frame-ancestors https://help.example.com" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers


def test_the_public_pages_are_rate_limited_per_address(config, invite, db):
    from web_survey import create_app

    app = create_app({**config, "RATE_LIMIT_PUBLIC": "3/minute"})
    client = app.test_client()
    path = page_path(invite("T1"))
    codes = [client.get(path).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert "Too many requests" in client.get(path + "?lang=en-US").get_data(as_text=True)

"""The dashboard: sign-in with a read key, figures equal to the API's, escaped comments."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import aggregator
from survey_core.months import month_of
from tests.pipeline import fold, submit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, key: str, lang: str = "en-US"):
    page = client.get(f"/dashboard/sign-in?lang={lang}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    return client.post("/dashboard/sign-in", data={"csrf_token": token, "key": key, "lang": lang})


def test_the_dashboard_needs_a_read_key_kept_in_an_httponly_cookie(client, api_key):
    assert client.get("/dashboard").status_code == 302
    key = api_key("read")["Authorization"][7:]
    assert sign_in(client, "voc_wrong").status_code == 401
    signed = sign_in(client, key)
    assert signed.status_code == 302
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and key not in cookie
    page = client.get("/dashboard?lang=en-US")
    assert page.status_code == 200 and "Quality dashboard" in page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    out = CSRF.search(html).group(1)
    client.post("/dashboard/sign-out", data={"csrf_token": out})
    assert client.get("/dashboard").status_code == 302


def test_a_revoked_key_signs_the_browser_out(client, api_key, db):
    key = api_key("read")["Authorization"][7:]
    sign_in(client, key)
    db.api_keys.update_many({}, {"$set": {"revoked_at": datetime.now(UTC)}})
    assert client.get("/dashboard").status_code == 302


def test_the_figures_shown_are_the_apis(client, api_key, db, config):
    month = month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)
    for i, (csat, nps, ces) in enumerate([(5, 10, 1), (4, 8, 2), (2, 3, 4)]):
        meta = {
            "channel": "chat",
            "interaction_id": f"I{i}",
            "agent_id": "A1",
            "team": "north",
            "survey": "post-contact",
            "version": 1,
            "month": month,
        }
        submit(
            db,
            meta,
            {"csat": csat, "nps": nps, "ces": ces, "comment": "<script>alert(1)</script>"},
            qtypes={"csat": "csat", "nps": "nps", "ces": "ces", "comment": "text"},
        )
    fold(db)
    reader = api_key("read")
    sign_in(client, reader["Authorization"][7:])
    html = client.get(f"/dashboard?month={month}&lang=en-US").get_data(as_text=True)
    api = client.get(f"/api/v1/metrics/monthly?from={month}&to={month}", headers=reader).get_json()
    row = api["rows"][0]
    shown = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S).group(1)
    assert f'<td class="csat">{row["csat"]["value"]:.1f}</td>' in shown
    assert f'<td class="nps">{row["nps"]["value"]:.1f}</td>' in shown
    assert f'<td class="ces">{row["ces"]["value"]:.2f}</td>' in shown
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" in html and 'class="whisker"' in html  # one month: its interval as a bar
    chinese = client.get(f"/dashboard?month={month}&lang=zh-CN").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese


def _cookie(client) -> str:
    return client.get_cookie("voc_dashboard").value


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(client, api_key, db):
    sign_in(client, api_key("read")["Authorization"][7:])
    old = _cookie(client)
    out = CSRF.search(client.get("/dashboard?lang=en-US").get_data(as_text=True)).group(1)
    client.post("/dashboard/sign-out", data={"csrf_token": out})
    assert db.dashboard_sessions.count_documents({}) == 0
    client.set_cookie("voc_dashboard", old)  # a copy kept from before the sign-out
    assert client.get("/dashboard").status_code == 302


def test_an_expired_session_signs_the_browser_out(client, api_key, db):
    sign_in(client, api_key("read")["Authorization"][7:])
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    db.dashboard_sessions.update_many({}, {"$set": {"expires_at": long_ago}})
    assert client.get("/dashboard").status_code == 302


def test_the_cookie_carries_only_a_random_session_id(client, api_key, db):
    sign_in(client, api_key("read")["Authorization"][7:])
    app = client.application
    data = app.session_interface.get_signing_serializer(app).loads(_cookie(client))
    (record,) = db.dashboard_sessions.find()
    assert data["sid"] == record["_id"] and "key_hash" not in data


@pytest.mark.parametrize(
    "forged",
    [
        {"key_hash": {"$ne": None}},
        {"sid": {"$ne": None}},
        {"sid": {"$gt": ""}, "key_hash": {"$exists": True}},
        {"sid": ["x" * 43]},
        {"sid": 1},
        {"sid": "x" * 43, "lang": {"$ne": None}},
    ],
)
def test_a_cookie_signed_with_the_secret_but_carrying_operators_signs_no_one_in(
    client, api_key, db, forged
):
    api_key("read")
    sign_in(client, api_key("read")["Authorization"][7:])  # a live session exists
    app = client.application
    client.set_cookie(
        "voc_dashboard", app.session_interface.get_signing_serializer(app).dumps(forged)
    )
    assert client.get("/dashboard").status_code == 302
    out = client.post("/dashboard/sign-out", data={"csrf_token": "x"})
    assert out.status_code == 302 and db.dashboard_sessions.count_documents({}) == 1

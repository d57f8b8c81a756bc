"""The dashboard's contact, agent and QA sample pages: what each shows, escaped, in both
languages; a recording played through the service, Twilio's credentials kept on the server."""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import aggregator
from survey_core.follow_ups.store import drain_queue
from survey_core.months import month_of
from tests.aggregator.test_dashboard import sign_in
from tests.aggregator.test_dashboard_comments import _call_with_recording
from tests.pipeline import answered, closed, fold, submit

SID = "RE" + "ab" * 16
ACCOUNT = "AC" + "1" * 32  # the config fixture's
RECORDING_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}"
AUDIO = b"ID3\x03\x00fake mp3 \xff\xfb"
WHEN = "2026-12-02T10:00:00+08:00"


@pytest.fixture
def month(config) -> str:
    return month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)


@pytest.fixture
def twilio():
    """A stand-in for Twilio's REST API serving one recording's MP3 (GET), recording who asked."""
    asked: list[tuple[str, str]] = []
    answer = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            asked.append((self.path, self.headers.get("Authorization", "")))
            found = self.path == f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}.mp3"
            status = answer["status"] if found else 404
            self.send_response(status)
            self.send_header("Content-Type", "audio/mpeg" if status == 200 else "application/json")
            self.end_headers()
            self.wfile.write(AUDIO if status == 200 else b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked, answer
    server.shutdown()
    server.server_close()


def _signed_in_client(config, api_key, lang="en-US", **extra):
    client = aggregator.create_app({**config, **extra}).test_client()
    sign_in(client, api_key("read")["Authorization"][7:], lang)
    return client


def _quality_records(client, api_key, channel, interaction, agent):
    writer = api_key("write")
    contact = {"interaction_id": interaction, "channel": channel, "agent": agent}
    score = {
        **contact,
        "monitor_id": "M<1>",
        "scored_at": WHEN,
        "form": {"id": "call-form", "version": 3},
        "items": [
            {"key": "greeting", "score": 4, "max": 5},
            {"key": "resolution", "score": 6, "max": 10, "weight": 3},
        ],
        "comment": "Missed the <b>refund</b> policy",
    }
    assert client.post("/api/v1/monitor-scores", json=score, headers=writer).status_code == 201
    rating = {**contact, "rating": 4, "rated_at": WHEN}
    assert client.post("/api/v1/agent-ratings", json=rating, headers=writer).status_code == 201
    complaint = {"source": "crm", "external_id": "K1", "category": "payment", **contact}
    complaint["occurred_at"] = WHEN
    assert client.post("/api/v1/complaints", json=complaint, headers=writer).status_code == 201


def test_a_contact_page_shows_everything_about_the_contact_in_the_viewers_language(
    config, db, api_key, month
):
    _call_with_recording(db, month, {"url": RECORDING_URL, "duration": 7})
    db.responses.update_one(
        {"_id": "ivr:CA1"}, {"$set": {"transcripts.comment": "Too <b>slow</b>"}}
    )
    client = _signed_in_client(config, api_key)
    _quality_records(client, api_key, "ivr", "CA1", "A7")
    drain_queue(db, client.application.config["SETTINGS"])  # the CSAT of 2 opens a follow-up
    moved = client.patch(
        "/api/v1/follow-ups/ivr:CA1", json={"status": "contacted"}, headers=api_key("write")
    )
    assert moved.status_code == 200
    html = client.get("/dashboard/contacts/ivr/CA1").get_data(as_text=True)
    answer = re.search(r'<div data-key="csat"><dt>(.*?)</dt><dd>\s*(.*?)\s*</dd>', html, re.S)
    assert answer.groups() == (
        "How satisfied were you with this call? Press 1 to 5, where 5 is very satisfied.",
        "2",
    )
    assert 'src="/dashboard/recordings/ivr/comment/CA1"' in html
    assert "Recording, 7 s" in html and "<q>Too &lt;b&gt;slow&lt;/b&gt;</q>" in html
    assert "twilio.com" not in html and ACCOUNT not in html
    total = 100 * (4 / 5 + 3 * 6 / 10) / 4
    assert f'<span class="total">{total:.1f}</span>' in html
    assert 'data-monitor="M&lt;1&gt;"' in html and "call-form v3" in html
    assert '<th scope="row">resolution</th><td>6</td><td>10</td><td>3</td>' in html
    assert "Missed the &lt;b&gt;refund&lt;/b&gt; policy" in html
    assert '<p id="self-rating">4 / 5' in html
    assert re.search(r'<ul id="complaints"><li>payment · crm · ', html)
    assert '<strong id="follow-up-status">contacted</strong>' in html
    history = re.search(r'<ol id="follow-up-history">(.*?)</ol>', html, re.S).group(1)
    assert history.count("<li>") == 2 and "created" in history and "contacted" in history
    assert '<dd id="survey-version">post-call v1</dd>' in html
    assert f'href="/dashboard/agents/A7?month={month}"' in html
    chinese = client.get("/dashboard/contacts/ivr/CA1?lang=zh-CN").get_data(as_text=True)
    assert "您对本次服务的满意程度如何？请按1到5，5表示非常满意。" in chinese
    assert "顾客的回答" in chinese and "录音，7 秒" in chinese


def test_the_recording_plays_through_the_service_and_credentials_stay_on_the_server(
    config, db, api_key, month, twilio
):
    base, asked, answer = twilio
    _call_with_recording(db, month, {"url": RECORDING_URL, "duration": 7})
    client = _signed_in_client(config, api_key, TWILIO_API_BASE_URL=base)
    played = client.get("/dashboard/recordings/ivr/comment/CA1")
    assert played.status_code == 200 and played.mimetype == "audio/mpeg"
    assert played.data == AUDIO
    assert "test-auth-token" not in str(played.headers) and "Location" not in played.headers
    expected = base64.b64encode(f"{ACCOUNT}:test-auth-token".encode()).decode()
    assert asked == [(f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}.mp3", f"Basic {expected}")]
    assert (
        "media-src 'self'"
        in client.get("/dashboard/contacts/ivr/CA1").headers["Content-Security-Policy"]
    )
    answer["status"] = 500
    failed = client.get("/dashboard/recordings/ivr/comment/CA1")
    assert failed.status_code == 502 and failed.get_json()["code"] == "twilio_unavailable"
    missing = client.get("/dashboard/recordings/ivr/csat/CA1")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    stranger = aggregator.create_app(config).test_client()
    refused = stranger.get("/dashboard/recordings/ivr/comment/CA1")
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthorized"


def test_without_twilio_credentials_a_recording_is_a_503_not_a_crash(config, db, api_key, month):
    _call_with_recording(db, month, {"url": RECORDING_URL, "duration": 7})
    client = _signed_in_client(config, api_key, TWILIO_AUTH_TOKEN="")
    refused = client.get("/dashboard/recordings/ivr/comment/CA1")
    assert refused.status_code == 503 and refused.get_json()["code"] == "recording_unavailable"


def test_a_recording_address_that_is_not_twilios_is_never_fetched(config, db, api_key, month):
    _call_with_recording(
        db, month, {"url": "http://169.254.169.254/latest/meta-data", "duration": 3}
    )
    client = _signed_in_client(config, api_key)
    assert client.get("/dashboard/recordings/ivr/comment/CA1").status_code == 404
    html = client.get("/dashboard/contacts/ivr/CA1").get_data(as_text=True)
    assert "<audio" not in html and "169.254" not in html


@pytest.mark.parametrize("interaction", ["a/b c", "工单-7", "x%2Fy", "=1+1", "<i>"])
def test_any_interaction_id_has_a_page_of_its_own(config, db, api_key, month, interaction):
    meta = {"channel": "chat", "interaction_id": interaction, "agent_id": "A1"}
    meta.update(survey="post-contact", version=1, month=month)
    submit(db, meta, {"csat": 5})
    fold(db)
    client = _signed_in_client(config, api_key)
    overview = client.get("/dashboard").get_data(as_text=True)
    sample = client.get(f"/dashboard/qa-sample?month={month}").get_data(as_text=True)
    link = re.search(r'<td class="contact"><a href="([^"]+)"', sample).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200, link
    assert 'data-key="csat"' in page.get_data(as_text=True)
    assert "<i>" not in overview and "<i>" not in sample


def test_a_contact_nobody_recorded_is_a_404_page_and_every_page_needs_sign_in(config, api_key):
    client = _signed_in_client(config, api_key)
    missing = client.get("/dashboard/contacts/ivr/nobody")
    assert missing.status_code == 404 and "Nothing is recorded" in missing.get_data(as_text=True)
    stranger = aggregator.create_app(config).test_client()
    for url in ("/dashboard/contacts/ivr/CA1", "/dashboard/agents/A1", "/dashboard/qa-sample"):
        answer = stranger.get(url)
        assert answer.status_code == 302 and "/dashboard/sign-in" in answer.headers["Location"]


def test_sealed_free_text_is_opened_for_the_page_and_the_recording_still_plays(
    config, db, api_key, month, twilio
):
    from cryptography.fernet import Fernet

    from survey_core.sealing import Keyring

    key = Fernet.generate_key().decode()
    keyring = Keyring([key])
    base, asked, _ = twilio
    _call_with_recording(db, month, {"url": keyring.seal(RECORDING_URL), "duration": 7})
    db.responses.update_one(
        {"_id": "ivr:CA1"}, {"$set": {"transcripts.comment": keyring.seal("sealed words")}}
    )
    client = _signed_in_client(config, api_key, FIELD_ENCRYPTION_KEY=key, TWILIO_API_BASE_URL=base)
    _quality_records(client, api_key, "ivr", "CA1", "A7")
    assert db.monitor_scores.find_one({"rid": "ivr:CA1"})["comment"] != (
        "Missed the <b>refund</b> policy"
    )
    html = client.get("/dashboard/contacts/ivr/CA1").get_data(as_text=True)
    assert "<q>sealed words</q>" in html and "Missed the &lt;b&gt;refund" in html
    assert "{&#39;enc&#39;" not in html and "gAAAA" not in html
    assert client.get("/dashboard/recordings/ivr/comment/CA1").data == AUDIO
    unkeyed = _signed_in_client(config, api_key, TWILIO_API_BASE_URL=base)
    shown = unkeyed.get("/dashboard/contacts/ivr/CA1")
    assert shown.status_code == 200 and "gAAAA" not in shown.get_data(as_text=True)
    assert unkeyed.get("/dashboard/recordings/ivr/comment/CA1").status_code == 404


@pytest.mark.parametrize(("consent", "en", "zh"), [(True, "yes", "是"), (False, "no", "否")])
def test_a_consent_answer_reads_as_yes_or_no_in_the_viewers_language(
    config, db, api_key, month, consent, en, zh
):
    meta = {"channel": "ivr", "interaction_id": "CA1", "agent_id": "A7", "survey": "post-call"}
    meta.update(version=1, month=month)
    answered(db, meta, "csat", 5, 1)
    answered(db, meta, "consent", consent, 5, done=True, qtype="consent")
    closed(db, meta)
    fold(db)
    client = _signed_in_client(config, api_key)
    for lang, word in (("en-US", en), ("zh-CN", zh)):
        html = client.get(f"/dashboard/contacts/ivr/CA1?lang={lang}").get_data(as_text=True)
        shown = re.search(r'<div data-key="consent"><dt>.*?</dt><dd>\s*(.*?)\s*</dd>', html, re.S)
        assert shown.group(1) == word
        assert "True" not in html and "False" not in html

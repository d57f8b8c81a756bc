"""The dashboard's recent comments: a spoken comment is a recording (a link with its length),
never a Python dict; text is escaped; a recording plays only through the dashboard's own
recordings route, so the stored address (whatever host it names) never reaches a page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import aggregator
from aggregator.reports.comments import comment_of
from survey_core.months import month_of
from tests.aggregator.test_dashboard import sign_in
from tests.pipeline import answered, closed, fold, submit

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "0f" * 16
PLAYED = "/dashboard/recordings/ivr/comment/CA1"


def _month(config) -> str:
    return month_of(datetime.now(UTC), aggregator.create_app(config).config["SETTINGS"].tz)


def _call_with_recording(db, month: str, recording: dict, sid: str = "CA1") -> None:
    meta = {
        "channel": "ivr",
        "interaction_id": sid,
        "agent_id": "A7",
        "team": "north",
        "survey": "post-call",
        "version": 1,
        "month": month,
    }
    answered(db, meta, "csat", 2, 1)
    answered(db, meta, "comment", recording, 4, done=True, qtype="recording")
    closed(db, meta)
    fold(db)


def _comments_html(client, api_key, lang: str = "en-US") -> str:
    sign_in(client, api_key("read")["Authorization"][7:], lang)
    html = client.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    return re.search(r'<ul id="comments"[^>]*>(.*?)</ul>', html, re.S).group(1)


def test_a_recorded_comment_shows_as_a_recording_link_with_its_length(client, api_key, db, config):
    _call_with_recording(db, _month(config), {"url": TWILIO_URL, "duration": 7})
    shown = _comments_html(client, api_key)
    assert f'<a class="recording" href="{PLAYED}">Recording, 7 s</a>' in shown
    assert "(A7, CSAT 2)" in shown
    assert "twilio" not in shown and "url" not in shown and "duration" not in shown
    assert "录音，7 秒" in _comments_html(client, api_key, "zh-CN")


def test_a_recording_with_a_transcript_shows_both(client, api_key, db, config):
    month = _month(config)
    _call_with_recording(db, month, {"url": TWILIO_URL, "duration": 12})
    db.responses.update_one(
        {"interaction_id": "CA1"}, {"$set": {"transcripts.comment": "Too <b>slow</b>"}}
    )
    shown = _comments_html(client, api_key)
    assert ">Recording, 12 s</a>: <q>Too &lt;b&gt;slow&lt;/b&gt;</q>" in shown


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "ftp://x/y",
        "https://evil.example/rec.mp3",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        None,
        7,
    ],
)
def test_a_recording_address_naming_no_twilio_recording_is_not_playable(url):
    shown = comment_of({"answers": {"comment": {"url": url, "duration": 3}}})
    assert shown["recording"] == {"playable": False, "seconds": 3}


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/2010-04-01/Accounts/AC1/Recordings/RE" + "0f" * 16,
        "http://api.twilio.com.evil.example/Recordings/RE" + "0f" * 16,
    ],
)
def test_a_recording_stored_with_another_host_plays_only_through_the_service(
    client, api_key, db, config, url
):
    """The page links to the dashboard's recordings route, which asks Twilio for the SID;
    the address the IVR was sent is never a link (it could be anyone's)."""
    _call_with_recording(db, _month(config), {"url": url, "duration": 4})
    shown = _comments_html(client, api_key)
    assert f'<a class="recording" href="{PLAYED}">Recording, 4 s</a>' in shown
    assert "evil" not in shown


@pytest.mark.parametrize(
    ("duration", "seconds"), [(7, 7), (6.6, 7), (True, None), ("7", None), (-1, None), (None, None)]
)
def test_a_recording_length_is_shown_only_when_it_is_a_number(duration, seconds):
    shown = comment_of({"answers": {"comment": {"url": TWILIO_URL, "duration": duration}}})
    assert shown["recording"]["seconds"] == seconds


@pytest.mark.parametrize("page", ["/dashboard", "/dashboard/comments", "/dashboard/agents/A7"])
def test_every_page_listing_comments_plays_a_recording_through_the_service(
    client, api_key, db, config, page
):
    month = _month(config)
    _call_with_recording(db, month, {"url": "https://evil.example/Recordings/RE" + "1" * 32})
    sign_in(client, api_key("read")["Authorization"][7:])
    html = client.get(f"{page}?month={month}&lang=en-US").get_data(as_text=True)
    assert f'<a class="recording" href="{PLAYED}">Recording</a>' in html
    assert "evil" not in html


def test_a_recording_without_a_safe_address_shows_as_text(client, api_key, db, config):
    _call_with_recording(db, _month(config), {"url": "javascript:alert(1)", "duration": 5})
    shown = _comments_html(client, api_key)
    assert '<span class="recording">Recording, 5 s</span>' in shown
    # The one link left is to the contact's own page (issue 21), never to the recording.
    contact_link = 'href="/dashboard/contacts/ivr/CA1"'
    assert "javascript" not in shown and "href" not in shown.replace(contact_link, "")


def test_a_written_comment_shows_as_escaped_text(client, api_key, db, config):
    meta = {
        "channel": "chat",
        "interaction_id": "T1",
        "agent_id": "A1",
        "survey": "post-contact",
        "version": 1,
        "month": _month(config),
    }
    submit(
        db,
        meta,
        {"csat": 4, "comment": "{'url': 'x'} <i>ok</i>"},
        qtypes={"csat": "csat", "comment": "text"},
    )
    fold(db)
    shown = _comments_html(client, api_key)
    assert "<q>{&#39;url&#39;: &#39;x&#39;} &lt;i&gt;ok&lt;/i&gt;</q> (A1, CSAT 4)" in shown


def test_long_unbroken_text_may_wrap_anywhere():
    css = (Path(aggregator.__file__).parent / "dashboard" / "static" / "dashboard.css").read_text()
    body = re.search(r"^body \{([^}]*)\}", css, re.M).group(1)
    assert "overflow-wrap: anywhere" in body

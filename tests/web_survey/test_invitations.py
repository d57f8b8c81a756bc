"""Invitations: one link per contact, suppression, batches, texting through Twilio."""

from __future__ import annotations

import itertools
import math

import pytest

from survey_core.storage import lookups
from survey_core.tokens import read_link
from tests.pipeline import fold
from tests.standins import form_of, standin, twilio_responder
from web_survey import create_app

BODY = {"channel": "chat", "interaction_id": "T1", "agent": "A1", "team": "B", "reason": "refund"}


def test_an_invitation_is_a_signed_expiring_link_that_names_no_one(client, writer, app):
    response = client.post(
        "/api/v1/invitations", json={**BODY, "email": "Ann@Example.com"}, headers=writer
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"] == f"https://voc.example.com/s/{body['token']}"
    assert body["created"] is True and body["survey"] == "post-contact"
    link_id, expires = read_link(app.config["SETTINGS"].secret_key, "survey", body["token"])
    assert link_id not in ("T1", "A1") and "ann" not in body["token"].lower()
    assert abs(expires.timestamp() - (expires.timestamp() // 1)) == 0


def test_the_link_lifetime_defaults_to_link_ttl_hours(config, db, api_key):
    from datetime import UTC, datetime

    client = create_app({**config, "LINK_TTL_HOURS": "2"}).test_client()
    body = client.post("/api/v1/invitations", json=BODY, headers=api_key("write")).get_json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert 7100 < (expires - datetime.now(UTC)).total_seconds() <= 7200


def test_a_second_invitation_for_the_same_contact_returns_the_first(client, writer, db):
    first = client.post("/api/v1/invitations", json=BODY, headers=writer)
    second = client.post("/api/v1/invitations", json={**BODY, "agent": "A9"}, headers=writer)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["token"] == first.get_json()["token"]
    assert second.get_json()["created"] is False
    assert db.invitations.count_documents({}) == 1


def test_a_customer_surveyed_recently_is_not_invited_again(client, writer, db, api_key):
    admin = api_key("admin")
    survey = client.get("/api/v1/surveys/post-contact", headers=admin).get_json()
    survey = {k: v for k, v in survey.items() if k not in ("version", "created_at")}
    client.put("/api/v1/surveys/post-contact", json={**survey, "suppress_days": 30}, headers=admin)
    first = client.post(
        "/api/v1/invitations", json={**BODY, "phone": "+8613800138000"}, headers=writer
    )
    assert first.status_code == 201
    fold(db)
    again = client.post(
        "/api/v1/invitations",
        json={**BODY, "interaction_id": "T2", "phone": "+8613800138000"},
        headers=writer,
    )
    assert again.status_code == 409
    assert again.get_json()["code"] == "recently_surveyed"
    other = client.post(
        "/api/v1/invitations",
        json={**BODY, "interaction_id": "T3", "phone": "+8613900139000"},
        headers=writer,
    )
    assert other.status_code == 201
    assert "+8613800138000" not in str(list(db.invitations.find()))


@pytest.mark.parametrize(
    "change, field",
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": "ivr"}, "channel"),
        ({"interaction_id": "T1\n"}, "interaction_id"),
        ({"interaction_id": "a:b"}, "interaction_id"),
        ({"survey": "nope"}, "survey"),
        ({"lang": "fr-FR"}, "lang"),
        ({"expires_in": 30}, "expires_in"),
        ({"expires_in": 3600.5}, "expires_in"),
        ({"phone": "+86138001380001234567"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"send": "yes"}, "send"),
        ({"send": True}, "send"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_invitation_gets_field_errors_and_stores_nothing(client, writer, db, change, field):
    response = client.post("/api/v1/invitations", json={**BODY, **change}, headers=writer)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert db.invitations.count_documents({}) == 0


def test_invitations_need_a_write_key(client, api_key):
    assert client.post("/api/v1/invitations", json=BODY).status_code == 401
    assert client.post("/api/v1/invitations", json=BODY, headers=api_key("read")).status_code == 403
    assert (
        client.post("/api/v1/invitations", json=BODY, headers=api_key("admin")).status_code == 201
    )


def test_a_batch_creates_each_link_once(client, writer, db):
    items = [{**BODY, "interaction_id": f"T{i}"} for i in range(5)]
    first = client.post("/api/v1/invitations:batch", json={"invitations": items}, headers=writer)
    assert first.status_code == 200
    assert first.get_json()["created"] == 5
    again = client.post(
        "/api/v1/invitations:batch",
        json={"invitations": items + [{**BODY, "interaction_id": "T9"}]},
        headers=writer,
    )
    body = again.get_json()
    assert (body["created"], body["existing"]) == (1, 5)
    assert [r["index"] for r in body["results"]] == list(range(6))
    assert db.invitations.count_documents({}) == 6


def test_a_batch_over_a_thousand_or_with_a_bad_item_is_refused_whole(client, writer, db):
    many = [{**BODY, "interaction_id": f"T{i}"} for i in range(1001)]
    too_many = client.post("/api/v1/invitations:batch", json={"invitations": many}, headers=writer)
    assert too_many.status_code == 422
    bad = [BODY, {**BODY, "interaction_id": "T2", "channel": "fax"}]
    response = client.post("/api/v1/invitations:batch", json={"invitations": bad}, headers=writer)
    assert response.status_code == 422
    assert "1" in response.get_json()["errors"]["invitations"]
    assert db.invitations.count_documents({}) == 0


def test_an_sms_invitation_is_texted_once_through_the_twilio_client(config, db, api_key):
    with standin(twilio_responder) as (twilio, received):
        app = create_app(
            {**config, "TWILIO_API_BASE_URL": twilio, "TWILIO_FROM_NUMBER": "+15005550006"}
        )
        client = app.test_client()
        body = {**BODY, "channel": "sms", "phone": "+8613800138000", "send": True, "lang": "en-US"}
        first = client.post("/api/v1/invitations", json=body, headers=api_key("write"))
        again = client.post("/api/v1/invitations", json=body, headers=api_key("write"))
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200
    assert first.get_json()["sent_at"] is not None
    assert len(received) == 1
    path, raw, headers = received[0]
    form = form_of(raw)
    assert path.endswith("/Messages.json")
    assert form["To"] == ["+8613800138000"] and form["From"] == ["+15005550006"]
    assert first.get_json()["url"] in form["Body"][0]
    assert headers["authorization"].startswith("Basic ")


def test_twilio_refusing_the_text_is_a_502(config, db, api_key):
    with standin(twilio_responder) as (twilio, _):
        app = create_app(
            {**config, "TWILIO_API_BASE_URL": twilio, "TWILIO_FROM_NUMBER": "+15005550006"}
        )
        body = {**BODY, "channel": "sms", "phone": "+15550000000", "send": True}
        response = app.test_client().post(
            "/api/v1/invitations", json=body, headers=api_key("write")
        )
    assert response.status_code == 502
    assert response.get_json()["code"] == "twilio_error"


def test_a_batch_of_a_thousand_reads_in_bounded_chunks_and_writes_once(
    config, db, api_key, commands
):
    """However many items, a batch reads the contacts' invitations and the customers' last
    participations a bounded `$in` at a time (`storage.lookups`: one `$in` of 1,000 keys takes
    SecantusDB ~0.8 s) and writes the invitations and their events once each: 1,000 links fit
    in the request's database deadline."""
    client = create_app(config).test_client()
    writer = api_key("write")
    client.get("/api/v1/surveys/post-contact", headers=api_key("admin"))  # the catalog's read
    items = [{**BODY, "interaction_id": f"T{i}", "phone": f"+86138{i:08d}"} for i in range(999)]
    items.append({**BODY, "interaction_id": "T5"})  # a second item for one contact
    commands.seen.clear()
    response = client.post("/api/v1/invitations:batch", json={"invitations": items}, headers=writer)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["created"], body["existing"], body["recently_surveyed"]) == (999, 1, 0)
    assert body["results"][999]["invitation"]["token"] == body["results"][5]["invitation"]["token"]
    seen = [f"{name} {target}" for name, target in commands.seen]
    assert [step for step, _ in itertools.groupby(seen)] == [
        "find api_keys",  # the key
        "find surveys",  # the survey's latest version, once a minute per process
        "find invitations",
        "find callers",
        "insert invitations",
        "insert events",
        "insert audit",  # the request's audit record
    ]
    assert seen.count("find invitations") == math.ceil(999 / lookups.CHUNK)  # 999 contacts
    assert seen.count("find callers") <= math.ceil(1000 / lookups.CHUNK)
    assert db.invitations.count_documents({}) == 999
    assert db.events.count_documents({"kind": "invite"}) == 999

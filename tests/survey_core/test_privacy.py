"""After real traffic on every channel, neither the database nor the logs hold a caller's number,
a customer's e-mail address or a trainee's id in clear (issue 12's search)."""

from __future__ import annotations

import json

import ivr_survey
import training_survey
import web_survey
from tests.ivr_survey.twilio_sim import Call
from tests.pipeline import fold

CALLER = "+8613912345678"
TEXTED = "+8613912345679"
EMAIL = "li.wei@example.com"
TRAINEES = ["alice.chen", "bob.wu"]
SECRETS = ["13912345678", "13912345679", EMAIL, "li.wei", *TRAINEES]


def _traffic(config, api_key) -> None:
    ivr = ivr_survey.create_app(config).test_client()
    call = Call(ivr, sid="CA7001", caller=CALLER, query="agent=A1&team=north")
    call.start()
    call.press("5")
    call.hang_up()

    web = web_survey.create_app(config).test_client()
    writer = api_key("write")
    for body in (
        {"channel": "sms", "interaction_id": "W1", "phone": TEXTED, "agent": "A1"},
        {"channel": "email", "interaction_id": "W2", "email": EMAIL, "agent": "A1"},
    ):
        invitation = web.post("/api/v1/invitations", json=body, headers=writer).get_json()
        web.get(f"/s/{invitation['token']}")
        answers = {"csat": 4, "nps": 8, "ces": 2}
        web.post("/api/v1/responses", json={"token": invitation["token"], "answers": answers})

    training = training_survey.create_app(config).test_client()
    trainer = {"id": "TR1", "name": "Li Wei", "team": "onboarding"}
    training.post("/api/v1/trainers", json=trainer, headers=api_key("admin"))
    session = {
        "trainer_id": "TR1",
        "topic": "Refunds",
        "held_at": "2026-10-15T09:00:00+08:00",
        "trainees": TRAINEES,
    }
    links = training.post("/api/v1/sessions", json=session, headers=writer).get_json()["links"]
    ratings = {"communication": 5, "clarity": 4, "interaction": 4, "overall": 5}
    for link in links:
        training.post("/api/v1/evaluations", json={"token": link["token"], "answers": ratings})


def test_no_number_address_or_trainee_id_is_stored_or_logged_in_clear(config, api_key, db, capsys):
    _traffic(config, api_key)
    fold(db)
    logged = "".join(capsys.readouterr())
    assert '"status": 201' in logged or "201" in logged  # the traffic was logged
    for secret in SECRETS:
        assert secret not in logged, secret
    for name in db.list_collection_names():
        dumped = json.dumps(list(db[name].find()), default=str, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in dumped, (name, secret)
    assert db.responses.count_documents({"status": "complete"}) >= 4

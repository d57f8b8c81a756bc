"""Values a client hands back signed with our own secret (link tokens, the dashboard's cookie,
an IVR call's state) reach a query only as the type we issued: an operator document signed
with the secret finds nothing."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeSerializer

import training_survey
import web_survey

FORGED_IDS = [{"$ne": None}, {"$gt": ""}, ["x"], 1, None, True]


def _forge(secret: str, purpose: str, link_id: object) -> str:
    payload = [link_id, int(time.time()) + 3600]
    return URLSafeSerializer(secret, salt=f"voc-link:{purpose}").dumps(payload)


@pytest.mark.parametrize("link_id", FORGED_IDS)
def test_a_signed_link_token_carrying_an_operator_opens_nothing(config, db, link_id):
    web = web_survey.create_app(config)
    token = _forge(web.config["SETTINGS"].secret_key, "survey", link_id)
    client = web.test_client()
    db.invitations.insert_one({"_id": "real", "rid": "chat:I1"})
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/api/v1/responses/{token}").status_code == 404
    body = client.post("/api/v1/responses", json={"token": token, "answers": {}}).get_json()
    assert body["status"] == 404
    assert db.events.count_documents({}) == 0


@pytest.mark.parametrize("link_id", FORGED_IDS)
def test_a_signed_training_token_carrying_an_operator_opens_nothing(config, db, link_id):
    app = training_survey.create_app(config)
    token = _forge(app.config["SETTINGS"].secret_key, "training", link_id)
    client = app.test_client()
    assert client.get(f"/t/{token}").status_code == 404
    body = client.post("/api/v1/evaluations", json={"token": token, "answers": {}}).get_json()
    assert body["status"] == 404

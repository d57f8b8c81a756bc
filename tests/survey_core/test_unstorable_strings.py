"""Strings that cannot be stored (a lone surrogate, NUL, a control character in a name) are a 422
with field errors wherever they come in, never a 500, and nothing is stored (issue 17, item 6);
every object a body may carry has a schema (item 7)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from marshmallow import Schema, fields

import aggregator
import ivr_survey
import training_survey
import web_survey
from tests.web_survey.conftest import csrf_of

SERVICES = Path(__file__).resolve().parents[2] / "services"
PACKAGES = ("survey_core", "ivr_survey", "web_survey", "training_survey", "aggregator", "ops")
# Fields that take anything, or any string: none may remain in a schema.
LOOSE = (fields.String, fields.Email, fields.Url, fields.Raw, fields.Field, fields.Dict)
BAD = ["\ud800", "\udfff", "a\u0000b", "\u0007"]
MONTH = "2026-10"


def _all_schemas() -> list[type[Schema]]:
    """Every Schema subclass defined in services/, and every one a module holds (those built
    by `Schema.from_dict`, like the answers requests, belong to no module of ours)."""
    held = set()
    for package in PACKAGES:
        for module in pkgutil.walk_packages([str(SERVICES / package)], f"{package}."):
            imported = importlib.import_module(module.name)
            held.update(
                v for v in vars(imported).values() if isinstance(v, type) and issubclass(v, Schema)
            )
    found, todo = [], list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PACKAGES or cls in held:
            found.append(cls)
    return found


def _loose_fields(field: fields.Field, where: str) -> list[str]:
    """Every field under `field` that is a plain String, Email, Url, Raw, Field or Dict, a
    Dict without DictKey keys, or a string that is not a StrictString."""
    from survey_core.fields import DictKey, StrictDict, StrictString

    if type(field) in LOOSE or (
        isinstance(field, fields.String) and not isinstance(field, StrictString)
    ):
        return [f"{where}: {type(field).__name__}"]
    if isinstance(field, fields.Mapping):
        if not isinstance(field, StrictDict) or not isinstance(field.key_field, DictKey):
            return [f"{where}: a mapping without DictKey keys"]
        return _loose_fields(field.value_field, f"{where}.<value>")
    if isinstance(field, fields.List):
        return _loose_fields(field.inner, f"{where}[]")
    if isinstance(field, fields.Tuple):
        return [
            m for i, f in enumerate(field.tuple_fields) for m in _loose_fields(f, f"{where}.{i}")
        ]
    return []


def test_every_string_and_object_field_of_every_schema_is_strict():
    from ivr_survey.default_survey import POST_CALL
    from survey_core.surveys.answers import answers_schema
    from training_survey.default_survey import TRAINING_EVALUATION
    from web_survey.default_survey import POST_CONTACT

    schemas = _all_schemas()
    assert len(schemas) > 90, schemas
    assert "AnswersRequest" in {schema.__name__ for schema in schemas}
    built = [type(answers_schema(s)) for s in (POST_CALL, TRAINING_EVALUATION, POST_CONTACT)]
    loose = [
        message
        for schema in [*schemas, *built]
        for name, field in schema().fields.items()
        for message in _loose_fields(field, f"{schema.__module__}.{schema.__name__}.{name}")
    ]
    assert loose == []


def _raw_json(client, path, body, headers=None, method="post"):
    """`body` as JSON with every non-ASCII character escaped: "\\ud800" reaches the parser."""
    data = json.dumps(body)  # ensure_ascii: a lone surrogate is written as its escape
    return client.open(
        path,
        method=method.upper(),
        data=data,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "validation_error" and field in json.dumps(body["errors"]), body


@pytest.fixture
def apps(config):
    return {
        "aggregator": aggregator.create_app(config).test_client(),
        "web": web_survey.create_app(config).test_client(),
        "training": training_survey.create_app(config).test_client(),
        "ivr": ivr_survey.create_app(config).test_client(),
    }


CONTACT = {"interaction_id": "T1", "channel": "chat", "agent": "A1", "team": "T"}
# (service, path, scope, body, the field the bad value goes in, the collection that stays empty)
BODIES = [
    ("aggregator", "/api/v1/thanks", "write",
     {"source": "mail", "source_id": "1", "agent": "A1", "received_at": "2026-10-12T10:00:00Z"},
     "source_id", "thanks"),
    ("aggregator", "/api/v1/thanks", "write",
     {"source": "mail", "source_id": "1", "agent": "A1", "received_at": "2026-10-12T10:00:00Z"},
     "agent", "thanks"),
    ("aggregator", "/api/v1/agent-ratings", "write",
     {**CONTACT, "rating": 4, "rated_at": "2026-10-12T10:00:00Z"}, "team", "agent_ratings"),
    ("aggregator", "/api/v1/monitor-scores", "write",
     {**CONTACT, "monitor_id": "M1", "scored_at": "2026-10-12T10:00:00Z", "form": {"id": "f"},
      "items": [{"key": "k", "score": 1, "max": 2}], "comment": "ok"}, "comment", "monitor_scores"),
    ("aggregator", "/api/v1/monitor-scores", "write",
     {**CONTACT, "monitor_id": "M1", "scored_at": "2026-10-12T10:00:00Z", "form": {"id": "f"},
      "items": [{"key": "k", "score": 1, "max": 2}]}, "monitor_id", "monitor_scores"),
    ("aggregator", "/api/v1/complaints", "write",
     {"source": "mail", "external_id": "x1", "category": "login",
      "occurred_at": "2026-10-12T10:00:00Z"}, "category", "complaints"),
    ("aggregator", "/api/v1/complaints", "write",
     {"source": "mail", "external_id": "x1", "category": "login",
      "occurred_at": "2026-10-12T10:00:00Z"}, "external_id", "complaints"),
    ("web", "/api/v1/invitations", "write", {"channel": "chat", "interaction_id": "T1"},
     "agent", "invitations"),
    ("web", "/api/v1/invitations", "write", {"channel": "chat", "interaction_id": "T1"},
     "reason", "invitations"),
    ("web", "/api/v1/invitations", "write", {"channel": "chat", "interaction_id": "T1"},
     "interaction_id", "invitations"),
    ("web", "/api/v1/responses", None, {"answers": {}}, "token", "events"),
    ("training", "/api/v1/evaluations", None, {"answers": {}}, "token", "events"),
    ("training", "/api/v1/trainers", "admin", {"id": "TR1"}, "name", "trainers"),
    ("training", "/api/v1/trainers", "admin", {"id": "TR1", "name": "Li"}, "team", "trainers"),
    ("ivr", "/api/v1/callbacks", "admin", {"to": "+8613800138000", "interaction": "T1"},
     "agent", "events"),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "service, path, scope, body, field, collection",
    BODIES,
    ids=[f"{b[1]}-{b[4]}" for b in BODIES],
)
def test_a_string_that_cannot_be_stored_is_a_422_and_stores_nothing(
    apps, api_key, db, bad, service, path, scope, body, field, collection
):
    headers = api_key(scope) if scope else {}
    response = _raw_json(apps[service], path, {**body, field: f"x{bad}y"}, headers)
    _refused(response, field)
    assert db[collection].count_documents({}) == 0


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "\u202eevil", "a\u2028b"])
def test_a_name_is_one_line_without_direction_overrides(apps, api_key, db, name):
    body = {"channel": "chat", "interaction_id": "T1", "agent": name}
    response = apps["web"].post("/api/v1/invitations", json=body, headers=api_key("write"))
    _refused(response, "agent")
    assert db.invitations.count_documents({}) == 0


def test_free_text_keeps_its_line_breaks_and_tabs(apps, api_key, db):
    body = {
        **CONTACT,
        "monitor_id": "M1",
        "scored_at": "2026-10-12T10:00:00Z",
        "form": {"id": "f", "version": 2},
        "items": [{"key": "k", "score": 1, "max": 2}],
        "comment": "Line one,\r\nline two\tand a tab; 中文 and 😀.",
    }
    response = apps["aggregator"].post(
        "/api/v1/monitor-scores", json=body, headers=api_key("write")
    )
    assert response.status_code == 201, response.get_json()
    assert db.monitor_scores.find_one()["comment"] == body["comment"]


@pytest.mark.parametrize(
    "form",
    [
        {"$where": "sleep(1000)"},
        {"id": "f", "$where": "1"},
        {"id": {"$ne": None}},
        {"id": "f", "a.b": 1},
    ],
)
def test_a_monitor_score_form_is_an_id_and_a_version_and_nothing_else(apps, api_key, db, form):
    body = {
        **CONTACT,
        "monitor_id": "M1",
        "scored_at": "2026-10-12T10:00:00Z",
        "form": form,
        "items": [{"key": "k", "score": 1, "max": 2}],
    }
    response = apps["aggregator"].post(
        "/api/v1/monitor-scores", json=body, headers=api_key("write")
    )
    _refused(response, "form")
    assert db.monitor_scores.count_documents({}) == 0


def _invitation(apps, api_key) -> dict:
    body = {"channel": "chat", "interaction_id": "T1", "agent": "A1", "lang": "en-US"}
    made = apps["web"].post("/api/v1/invitations", json=body, headers=api_key("write"))
    assert made.status_code == 201, made.get_json()
    return made.get_json()


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "answers",
    [{"comment": "x{}"}, {"x{}": 4}, {"$gt": 4}, {"csat": {"$ne": 1}}, {"a.b": 1}],
    ids=["text", "key", "operator-key", "object-value", "dotted-key"],
)
def test_answers_that_cannot_be_stored_are_a_422_and_store_nothing(apps, api_key, db, bad, answers):
    token = _invitation(apps, api_key)["token"]
    before = db.events.count_documents({})
    sent = {
        k.replace("{}", bad): v.replace("{}", bad) if isinstance(v, str) else v
        for k, v in answers.items()
    }
    response = _raw_json(
        apps["web"], "/api/v1/responses", {"token": token, "answers": {"csat": 5, **sent}}
    )
    _refused(response, "answers")
    assert db.events.count_documents({}) == before
    assert db.events.count_documents({"kind": "submit"}) == 0


def test_a_survey_prompt_that_cannot_be_stored_is_a_422(apps, api_key, db):
    from web_survey.default_survey import POST_CONTACT

    survey = json.loads(json.dumps(POST_CONTACT))
    survey["slug"] = "new-survey"
    survey["questions"][0]["prompt"]["en-US"] = "How \ud800 was it?"
    response = _raw_json(apps["web"], "/api/v1/surveys", survey, api_key("admin"))
    _refused(response, "questions")
    assert db.surveys.count_documents({"slug": "new-survey"}) == 0


def test_a_surrogate_in_an_unknown_key_is_a_422_that_can_be_encoded(apps, api_key, db):
    body = {"channel": "chat", "interaction_id": "T1", "\ud800": 1}
    response = _raw_json(apps["web"], "/api/v1/invitations", body, api_key("write"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"\ufffd": ["Unknown field."]}
    assert db.invitations.count_documents({}) == 0


@pytest.mark.parametrize("raw", [b'{"channel": "\xed\xa0\x80"}', b'{"channel": "\xff"}'])
def test_a_body_that_is_not_utf_8_is_a_400(apps, api_key, raw):
    response = apps["web"].post(
        "/api/v1/invitations",
        data=raw,
        headers={**api_key("write"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


@pytest.mark.parametrize("value", ["%00", "a%00b", "%07", "%0Aa"])
def test_a_query_value_that_cannot_be_stored_is_a_422(apps, api_key, value):
    response = apps["aggregator"].get(
        f"/api/v1/metrics/monthly?from={MONTH}&to={MONTH}&agent={value}", headers=api_key("read")
    )
    _refused(response, "agent")


@pytest.mark.parametrize(
    "path", ["/api/v1/metrics/monthly", "/api/v1/follow-ups", "/api/v1/alerts"]
)
def test_a_surrogate_written_in_utf_8_in_a_query_is_not_a_500(apps, api_key, path):
    query = f"from={MONTH}&to={MONTH}&agent=%ED%A0%80" if "metrics" in path else "agent=%ED%A0%80"
    response = apps["aggregator"].get(f"{path}?{query}", headers=api_key("read"))
    assert response.status_code in (200, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["a\u0000b", "\u0007"])
def test_a_questionnaire_form_with_a_control_character_is_shown_again_and_stores_nothing(
    apps, api_key, db, bad
):
    invitation = _invitation(apps, api_key)
    path = f"/s/{invitation['token']}"
    html = apps["web"].get(path).get_data(as_text=True)
    form = {"csrf_token": csrf_of(html), "csat": "5", "nps": "9", "ces": "2", "comment": bad}
    response = apps["web"].post(path, data=form)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert db.events.count_documents({"kind": "submit"}) == 0


@pytest.mark.parametrize("raw", [b"%ED%A0%80", b"%00", b"%FF%FE"])
def test_a_questionnaire_form_in_broken_utf_8_is_not_a_500(apps, api_key, db, raw):
    invitation = _invitation(apps, api_key)
    path = f"/s/{invitation['token']}"
    html = apps["web"].get(path).get_data(as_text=True)
    body = b"csrf_token=" + csrf_of(html).encode() + b"&csat=5&nps=9&ces=2&comment=" + raw
    response = apps["web"].post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("raw", [b"%ED%A0%80", b"%00", b"a%00%0A"])
def test_a_dashboard_sign_in_key_in_broken_utf_8_is_refused_not_a_500(apps, raw):
    client = apps["aggregator"]
    html = client.get("/dashboard/sign-in").get_data(as_text=True)
    body = b"csrf_token=" + csrf_of(html).encode() + b"&key=" + raw
    response = client.post(
        "/dashboard/sign-in", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (400, 401, 422), response.get_data(as_text=True)


@pytest.mark.parametrize(
    "service, method, path, scope",
    [
        ("aggregator", "post", "/api/v1/alerts/a%00b/ack", "write"),
        ("aggregator", "patch", "/api/v1/follow-ups/a%0Ab", "write"),
        ("aggregator", "get", f"/api/v1/trainers/T%07/monthly?from={MONTH}&to={MONTH}", "read"),
        ("training", "post", "/api/v1/sessions/s%00/close", "write"),
        ("web", "get", "/api/v1/surveys/post-contact%00", "admin"),
    ],
)
def test_an_id_in_the_path_that_cannot_be_stored_is_a_422(
    apps, api_key, service, method, path, scope
):
    response = apps[service].open(path, method=method.upper(), headers=api_key(scope), json={})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "validation_error"


def test_a_surrogate_written_in_utf_8_in_a_path_is_not_a_500(apps, api_key):
    response = apps["aggregator"].post("/api/v1/alerts/%ED%A0%80/ack", headers=api_key("write"))
    assert response.status_code == 404, response.get_data(as_text=True)

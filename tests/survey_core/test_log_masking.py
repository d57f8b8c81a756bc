"""No phone number reaches a log line: not in the message, not in any structured field."""

import json
import logging

import ivr_survey
from survey_core.web.observability import JsonFormatter

NUMBER = "+8613912345678"


def access_lines(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "voc.access"]


def test_access_log_path_has_no_phone_number(config, capsys):
    client = ivr_survey.create_app(config).test_client()
    capsys.readouterr()
    client.get(f"/ivr/{NUMBER}")
    out = capsys.readouterr().out
    (line,) = [line for line in access_lines(out) if line["method"] == "GET"]
    assert line["path"] == "/ivr/[redacted]"
    assert "13912345678" not in line["message"]
    assert "13912345678" not in out


def test_every_string_field_is_masked_however_nested():
    record = logging.LogRecord("voc.test", logging.INFO, __file__, 1, "call placed", (), None)
    record.fields = {
        "to": NUMBER,
        "status": 202,
        "duration_ms": 1.5,
        "call": {"from": "8613912345678", "numbers": ["+86 139 1234 5678", "ok"]},
    }
    entry = json.loads(JsonFormatter().format(record))
    assert entry["to"] == "[redacted]"
    assert entry["status"] == 202 and entry["duration_ms"] == 1.5
    assert entry["call"] == {"from": "[redacted]", "numbers": ["[redacted]", "ok"]}

"""One table of response dimensions: a dimension added to it is found everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from survey_core.responses import dimensions
from survey_core.rollups import layout

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "services" / "survey_core" / "responses" / "dimensions.py"
LAST_ROW = 'Dimension("session", "session_id", Source.TRAINING, "A training session."),'
NEW_ROW = 'Dimension("queue", "queue_id", Source.CONTACT, "The queue the contact waited in."),'

# Run with the table's source changed by one row, before anything imports it; prints what
# every consumer of the table makes of the new dimension.
SCRIPT = r"""
import importlib.util, json, sys
from pathlib import Path

path = Path(sys.argv[1])
source = path.read_text().replace(sys.argv[2], sys.argv[2] + "\n    " + sys.argv[3])
assert sys.argv[3] in source
import survey_core.fields  # what the table imports, first
import survey_core.responses
name = "survey_core.responses.dimensions"
module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
module.__file__ = str(path)
sys.modules[name] = module
exec(compile(source, str(path), "exec"), module.__dict__)
survey_core.responses.dimensions = module

from datetime import UTC, datetime

import aggregator
from aggregator.quality import follow_ups
from aggregator.reports import schemas
from ivr_survey import schemas as ivr_schemas
from ivr_survey.calls import meta_for
from ivr_survey.entry import begin
from ivr_survey.flow import CallState
from ops import importer
from survey_core.questionnaires import invitations
from survey_core.follow_ups import queue
from survey_core.responses import events, webhooks
from survey_core.rollups import layout, rebuild
from survey_core.settings import Settings
from tests.pipeline import fold, submit
from web_survey.schemas import InvitationRequestSchema

config = json.loads(sys.argv[4])
found = {
    "event meta": "queue_id" in events.META_FIELDS,
    "rollup layout": layout.DIMENSIONS.get("queue") == "queue_id",
    "rebuild": "queue_id" in rebuild._GROUP_ID,
    "webhook payload": "queue_id" in webhooks.DATA_FIELDS,
    "follow-up queue": "queue_id" in queue.QUEUED_FIELDS,
    "follow-up": "queue" in follow_ups.FollowUpSchema().fields,
    "follow-up filter": "queue" in follow_ups.FollowUpQuerySchema().fields,
    "ivr voice query": "queue" in ivr_schemas.VoiceQuerySchema().fields,
    "ivr call-back": "queue" in ivr_schemas.CallbackRequestSchema().fields,
    "web invitation": "queue" in InvitationRequestSchema().fields,
    "import columns": "queue" in importer.COLUMNS,
    "report filter": "queue" in schemas.MonthlyQuery().fields,
}
survey = {"slug": "post-call", "version": 1, "languages": ["en-US"], "default_language": "en-US"}
state = begin(survey, Settings.from_env(overrides=config), "I1", "en-US", None, {"queue": "Q7"})
found["ivr call state"] = CallState.decode(state.encode()).contact == {"queue": "Q7"}
found["ivr event meta"] = meta_for(state)["queue_id"] == "Q7"
body = {"channel": "email", "interaction_id": "E1", "queue": "Q7"}
meta = invitations._meta(body, survey, datetime.now(UTC), datetime.now(UTC), None, UTC)
found["web event meta"] = meta.get("queue_id") == "Q7"

app = aggregator.create_app(config)
from survey_core.storage.client import get_db

with app.app_context():
    db = get_db()
meta = {"channel": "ivr", "interaction_id": "C1", "survey": "post-call", "version": 1,
        "month": "2026-10", "agent_id": "A1", "queue_id": "Q7"}
submit(db, meta, {"csat": 5})
fold(db)
client = app.test_client()
key = sys.argv[5]
headers = {"Authorization": f"Bearer {key}"}
rows = client.get("/api/v1/metrics/breakdown?month=2026-10&by=queue", headers=headers).get_json()
found["breakdown"] = [(r["value"], r["csat"]["n"]) for r in rows["rows"]] == [("Q7", 1)]
monthly = client.get(
    "/api/v1/metrics/monthly?from=2026-10&to=2026-10&queue=Q7&agent=A1", headers=headers
).get_json()
found["combined filter"] = monthly["rows"][0]["csat"]["n"] == 1
print(json.dumps(found))
"""


def test_the_table_is_what_the_rollups_use():
    assert layout.DIMENSIONS == {"channel": "channel", "agent": "agent_id", "team": "team",
                                 "reason": "reason", "survey": "survey"}  # fmt: skip
    assert layout.OPTIONAL_DIMENSIONS == {"trainer": "trainer_id", "session": "session_id"}
    assert [d.name for d in dimensions.CONTACT] == ["agent", "team", "reason"]


def test_a_dimension_added_to_the_table_is_found_everywhere(config, api_key):
    key = api_key("read")["Authorization"].split()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "services"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(TABLE), LAST_ROW, NEW_ROW, json.dumps(config), key],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found and all(found.values()), [where for where, ok in found.items() if not ok]

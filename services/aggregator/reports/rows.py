"""Rows for reporting tools (read scope): one row per customer response, filtered like the
reports, paged by an opaque cursor (JSON) or streamed whole (CSV); never free text."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from aggregator.reports.csv_export import also_csv, columns, streamed_table, wants_csv
from aggregator.reports.schemas import FilterMixin, MonthRange
from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.months import month_range
from survey_core.responses import dimensions, reads
from survey_core.statuses import Status
from survey_core.storage.client import get_db
from survey_core.web.auth import require_api_key
from survey_core.web.openapi import AUTH_ERRORS, error_responses

bp = Blueprint(
    "response_rows",
    __name__,
    url_prefix="/api/v1",
    description="One row per customer response, for reporting tools (read scope).",
)
STREAM_BATCH = 500
CURSOR_RE = re.compile(r"[A-Za-z0-9_-]{1,1400}")  # records read per round trip while a CSV streams


class Cursor(StrictString):
    """Where the previous page ended: opaque to clients (the last record's id, encoded)."""

    default_error_messages = {"cursor": "Not a cursor this API gave."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not CURSOR_RE.fullmatch(text):
            raise self.make_error("cursor")
        try:
            raw = text.encode("ascii") + b"=" * (-len(text) % 4)
            return base64.b64decode(raw, altchars=b"-_", validate=True).decode("utf-8")
        except (UnicodeError, ValueError, binascii.Error):
            raise self.make_error("cursor") from None


def cursor_of(rid: str) -> str:
    return base64.urlsafe_b64encode(rid.encode("utf-8")).decode("ascii").rstrip("=")


class RowsQuery(FilterMixin, MonthRange):
    status = StrictString(load_default=None, validate=validate.OneOf([s.value for s in Status]))
    cursor = Cursor(
        load_default=None,
        metadata={
            "description": "`next_cursor` of the last page",
            "pattern": "^[A-Za-z0-9_-]{1,1400}$",
        },
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    format = StrictString(
        load_default=None,
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv: every row from `cursor` on, streamed"},
    )


class ResponseRow(Schema):
    channel = StrictString()
    interaction_id = StrictString()
    survey = StrictString(allow_none=True)
    version = fields.Integer(allow_none=True)
    agent = StrictString(attribute="agent_id", allow_none=True)
    team = StrictString(allow_none=True)
    reason = StrictString(allow_none=True)
    language = StrictString(allow_none=True)
    month = StrictString()
    status = StrictString(allow_none=True)
    last_question_reached = StrictString(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    csat = fields.Integer(attribute="scores.csat", allow_none=True)
    nps = fields.Integer(attribute="scores.nps", allow_none=True)
    ces = fields.Integer(attribute="scores.ces", allow_none=True)
    ratings = StrictDict(keys=DictKey(), values=fields.Integer(), allow_none=True)


class RowsPage(Schema):
    rows = fields.List(fields.Nested(ResponseRow))
    next_cursor = StrictString(allow_none=True, metadata={"description": "null: the last page"})


ROW_COLUMNS = [name for name, _ in columns(ResponseRow)]


@bp.get("/responses")
@require_api_key("read")
@bp.arguments(RowsQuery, location="query")
@error_responses(bp, {**AUTH_ERRORS, 422: "`validation_error`: `errors` names the parameter."})
@also_csv(bp)
@bp.response(200, RowsPage)
def response_rows(query: dict[str, Any]) -> Any:
    """Customer responses of the months `from`..`to` (never training evaluations) in a stable
    order, scores and dimensions only; records as the worker folded them."""
    months = month_range(query["from_"], query["to"])
    filters = {name: query.get(name) for name in dimensions.CUSTOMER}
    if wants_csv(query.get("format"), request.headers.get("Accept", "")):
        found = _pages(months, filters, query["status"], query["cursor"], STREAM_BATCH)
        rows = (ResponseRow().dump(r) for page in found for r in page)
        body = ([row.get(name) for name in ROW_COLUMNS] for row in rows)
        name = f"responses-{query['from_']}-{query['to']}.csv"
        return streamed_table(ROW_COLUMNS, body, name)
    page = next(_pages(months, filters, query["status"], query["cursor"], query["limit"] + 1))
    more = len(page) > query["limit"]
    page = page[: query["limit"]]
    return {"rows": page, "next_cursor": cursor_of(page[-1]["_id"]) if more else None}


def _pages(
    months: list[str], filters: dict[str, Any], status: str | None, after: str | None, size: int
) -> Iterator[list[dict[str, Any]]]:
    """Pages of `size` records (the first one even when empty), each after the last."""
    db = get_db()
    while True:
        page = reads.rows(db, months, filters, status, after, size)
        yield page
        if len(page) < size:
            return
        after = page[-1]["_id"]

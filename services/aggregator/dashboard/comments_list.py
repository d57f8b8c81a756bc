"""The dashboard's comment list (/dashboard/comments): a month's customer comments, filtered
by score band, agent, team, reason and channel, a page at a time, each with its scores and a
link to its contact."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from aggregator.dashboard import access
from aggregator.reports.comments import BANDS, FILTERS, comments_page
from survey_core.fields import storable
from survey_core.months import months_ending
from survey_core.storage.client import get_db
from survey_core.web.security import page_headers

bp = Blueprint("dashboard_comments", __name__)
LONGEST = 128  # a dimension value, as the reports' filters allow
LAST_PAGE = 1000


def contact_path(channel: Any, interaction: Any) -> str | None:
    """Where a contact's own page is (/dashboard/contacts/<channel>/<interaction>)."""
    if not (isinstance(channel, str) and isinstance(interaction, str) and channel and interaction):
        return None
    return f"/dashboard/contacts/{quote(channel, safe='')}/{quote(interaction, safe='')}"


def _asked() -> tuple[dict[str, str], str | None, int, dict[str, list[str]]]:
    """The filters, band and page asked for, and field errors for the ones that cannot be."""
    errors: dict[str, list[str]] = {}
    filters = {}
    for name in FILTERS:
        value = request.args.get(name, "").strip()
        if not value:
            continue
        if len(value) > LONGEST or not storable(value):
            errors[name] = [_("At most 128 characters, on one line.")]
        else:
            filters[name] = value
    band = request.args.get("band", "") or None
    if band is not None and band not in BANDS:
        errors["band"] = [_("Not a score band.")]
        band = None
    asked_page = request.args.get("page", "1")
    ok = asked_page.isascii() and asked_page.isdigit() and 1 <= int(asked_page) <= LAST_PAGE
    if not ok:
        errors["page"] = [_("A page number from 1 to 1000.")]
    return filters, band, int(asked_page) if ok else 1, errors


@bp.get("/dashboard/comments")
def comments() -> Any:
    """A page of the month's comments matching the filters (signed in)."""
    language = access.language()
    if access.signed_in() is None:
        return redirect(url_for("dashboard.sign_in_page", lang=language))
    month = access.chosen_month()
    filters, band, page, errors = _asked()
    found = (
        comments_page(get_db(), month, filters, band, page)
        if not errors
        else {"comments": [], "has_next": False, "page": page}
    )
    wanted: dict[str, Any] = {
        "month": month,
        "band": band or "",
        **{n: filters.get(n, "") for n in FILTERS},
    }
    html = render_template(
        "comments.html",
        language=language,
        month=month,
        months=months_ending(month, 24),
        bands=list(BANDS),
        filters=filters,
        band=band,
        errors=errors,
        found=found,
        contact_path=contact_path,
        lang_query="".join(
            f"&{urlencode({k: v})}" for k, v in wanted.items() if v and k != "month"
        ),
        previous_url=url_for(".comments", **wanted, page=page - 1) if page > 1 else None,
        next_url=url_for(".comments", **wanted, page=page + 1) if found["has_next"] else None,
    )
    return Response(html, status=422 if errors else 200, mimetype="text/html")


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, "'none'")

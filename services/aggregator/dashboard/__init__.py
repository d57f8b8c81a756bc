"""The quality manager's dashboard at /dashboard: the month at a glance, server-rendered.

Sign-in takes a key once (read keys look; write and admin keys also act: `access.py`) and
opens a server-side session (dashboard_sessions); the signed, HttpOnly (and, outside
development, Secure) cookie carries only the session's random id. Every page load checks the
session and its key again, so signing out or revoking the key signs the browser out, old
copies of the cookie included. Every figure comes from the same functions as the JSON API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from aggregator.dashboard import access, acting, comments_list, overview
from aggregator.reports.comments import recent_comments
from aggregator.reports.quality import agents_of, calibration_of
from survey_core.complaints import alerts
from survey_core.follow_ups import store as follow_ups
from survey_core.months import months_ending
from survey_core.reports import queries, trainers
from survey_core.storage.client import get_db
from survey_core.web import audit_trail
from survey_core.web import browser_sessions as dashboard_sessions
from survey_core.web.auth import hash_key, live_key
from survey_core.web.context import snapshot
from survey_core.web.security import CSRF_FIELD, csrf_ok, csrf_token, page_headers

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/dashboard",
)
SIGN_IN = "dashboard-sign-in"  # what the sign-in form's CSRF token is bound to
BREAKDOWNS = ("agent", "team", "reason", "channel")


def _min_n() -> int:
    asked_for = request.args.get("min_n", "0")
    return (
        int(asked_for) if asked_for.isascii() and asked_for.isdigit() and len(asked_for) < 7 else 0
    )


@bp.get("/dashboard")
def dashboard() -> Any:
    """The month at a glance (signed in), else the sign-in page."""
    language = access.language()
    key = access.signed_in()
    if key is None:
        return redirect(url_for("dashboard.sign_in_page", lang=language))
    db, month, min_n = get_db(), access.chosen_month(), _min_n()
    settings = current_app.config["SETTINGS"]
    snap, now = snapshot(), datetime.now(UTC)
    months, docs = overview.trend(snap, month)
    rows = overview.rows_of(months, docs)
    ranking = trainers.ranking_of(snap, month, settings.min_trainer_sample, settings.anonymity_min)
    html = render_template(
        "dashboard.html",
        language=language,
        month=month,
        months=months_ending(month, 24),
        min_n=min_n,
        csrf_field=CSRF_FIELD,
        csrf_token=access.form_token(),
        may_act=access.may_act(key),
        tiles=overview.tiles(snap, db, months, docs, now, min_n),
        rows=rows,
        first_row=overview.first_with_data(rows),
        charts=overview.trend_charts(rows, min_n),
        breakdowns={by: queries.breakdown(snap, month, by, min_n, "adjusted") for by in BREAKDOWNS},
        funnel=queries.funnel(snap, month, None),
        ranking=ranking,
        eligible=[t for t in ranking["trainers"] if t["eligible"]],
        not_eligible=[t for t in ranking["trainers"] if not t["eligible"]],
        alerts=alerts.listed(db, {"status": "open"}, 20),
        follow_ups=follow_ups.listed(db, {"status": {"$ne": "resolved"}}, False, now, 20),
        resolved=follow_ups.recently_resolved(db, 10),
        now=now,
        flags=[
            r
            for r in calibration_of(month, "agent")["rows"]
            if (r.get("self_vs_customer") or {}).get("flagged")
        ],
        agents=agents_of(month, settings.min_trainer_sample),
        comments=recent_comments(db, month),
    )
    return Response(html, mimetype="text/html")


@bp.get("/dashboard/sign-in")
def sign_in_page() -> Response:
    """The sign-in form."""
    language = access.language()
    settings = current_app.config["SETTINGS"]
    html = render_template(
        "signin.html",
        language=language,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(settings.secret_key, SIGN_IN),
        problem=None,
    )
    return Response(html, mimetype="text/html")


@bp.post("/dashboard/sign-in")
def sign_in() -> Any:
    """Check the key (any scope looks; `access.may_act` decides who acts) and open a session."""
    language = access.language()
    settings = current_app.config["SETTINGS"]
    if not csrf_ok(settings.secret_key, SIGN_IN, request, 86400, settings.public_base_url):
        return Response(_("This form has expired. Reload the page to answer."), status=400)
    key = (request.form.get("key") or "").strip()
    record = live_key(get_db(), hash_key(key))
    if not key or not access.may_look(record):
        who = str(record["name"]) if record else "(unknown key)"
        audit_trail.record("dashboard sign-in", {}, 401, via="dashboard", who=who)
        html = render_template(
            "signin.html",
            language=language,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token(settings.secret_key, SIGN_IN),
            problem=_("This key is unknown, revoked or may not read reports."),
        )
        return Response(html, status=401, mimetype="text/html")
    session.clear()
    session.permanent = False
    session["sid"] = dashboard_sessions.open_session(get_db(), hash_key(key))
    session["lang"] = language
    audit_trail.record("dashboard sign-in", {}, "ok", via="dashboard", who=str(record["name"]))
    return redirect(url_for("dashboard.dashboard"))


@bp.post("/dashboard/sign-out")
def sign_out() -> Any:
    """End the session on the server (every copy of its cookie) and forget it here."""
    settings = current_app.config["SETTINGS"]
    bound = dashboard_sessions.session_id_of(session.get("sid"))
    if bound and csrf_ok(settings.secret_key, bound, request, 86400, settings.public_base_url):
        key = dashboard_sessions.key_of(get_db(), bound)
        dashboard_sessions.close_session(get_db(), bound)
        session.clear()
        if key is not None:
            who = str(key.get("name"))
            audit_trail.record("dashboard sign-out", {}, "ok", via="dashboard", who=who)
    return redirect(url_for("dashboard.sign_in_page"))


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, "'none'")


def init_app(app: Flask) -> None:
    """The dashboard, its session cookie and its languages."""
    from flask_babel import Babel

    from survey_core.web.pages import TRANSLATIONS, page_locale

    settings = app.config["SETTINGS"]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.dashboard_cookie_secure,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="voc_dashboard",
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_TRANSLATION_DIRECTORIES=TRANSLATIONS,
    )
    Babel(app, locale_selector=page_locale)
    app.register_blueprint(bp)
    from aggregator.dashboard import agents, contacts, qa

    app.register_blueprint(contacts.bp)
    app.register_blueprint(agents.bp)
    app.register_blueprint(qa.bp)
    app.register_blueprint(acting.bp)
    app.register_blueprint(comments_list.bp)

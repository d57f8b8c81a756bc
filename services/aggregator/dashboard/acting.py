"""Acting from the dashboard with plain HTML forms: acknowledge an alert, work a follow-up
(assign, contacted, resolved, reopened). Write or admin keys only; every form CSRF-protected
and every attempt audited; the same functions as the JSON API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as Reply

from aggregator.dashboard import access
from survey_core.complaints import alerts
from survey_core.fields import storable
from survey_core.follow_ups import store as follow_ups
from survey_core.storage.client import get_db
from survey_core.web import audit_trail
from survey_core.web.security import page_headers

bp = Blueprint("dashboard_acting", __name__)
# The follow-up form's buttons: what each asks the store for.
ACTIONS = {
    "assign": None,
    "contacted": "contacted",
    "resolved": "resolved",
    "reopen": "open",
}
TEXT_FIELDS = {"assignee": 128, "root_cause": 2000, "action_taken": 2000, "note": 2000}


def _refused(language: str, status: int, message: str, errors: dict[str, list[str]]) -> Response:
    html = render_template(
        "acting_refused.html",
        language=language,
        month=access.chosen_month(),
        message=message,
        errors=errors,
    )
    return Response(html, status=status, mimetype="text/html")


def _checked(action: str, target: dict[str, Any]) -> tuple[dict[str, Any] | None, Reply | None]:
    """The acting key, or the page refusing: not signed in (a redirect), a forged or stale
    form (400), a key that may only look (403); each refusal audited."""
    language = access.language()
    key = access.signed_in()
    if key is None:
        return None, redirect(url_for("dashboard.sign_in_page", lang=language))
    who = str(key.get("name"))
    if not access.form_ok():
        audit_trail.record(action, target, 400, via="dashboard", who=who)
        message = _("This form has expired. Reload the page to answer.")
        return None, _refused(language, 400, message, {})
    if not access.may_act(key):
        audit_trail.record(action, target, 403, via="dashboard", who=who)
        message = _("This key may look at the dashboard but not act on it.")
        return None, _refused(language, 403, message, {})
    return key, None


def _back(anchor: str) -> Reply:
    month = access.chosen_month()
    return redirect(url_for("dashboard.dashboard", month=month, _anchor=anchor), code=303)


@bp.post("/dashboard/alerts/<alert_id>/ack")
def acknowledge(alert_id: str) -> Reply:
    """Acknowledge an open alert, then back to the dashboard."""
    target = {"alert_id": alert_id}
    key, refused = _checked("dashboard acknowledge alert", target)
    if refused is not None:
        return refused
    assert key is not None
    who = str(key.get("name"))
    alert = alerts.acknowledge(get_db(), alert_id, who)
    outcome = 404 if alert is None else "ok"
    audit_trail.record("dashboard acknowledge alert", target, outcome, via="dashboard", who=who)
    if alert is None:
        return _refused(access.language(), 404, _("There is no such alert."), {})
    return _back("alerts-title")


def _refusal(field: str) -> str:
    """What the store's refusal of `field` means, in the page's language."""
    if field == "root_cause":
        return _("Resolving needs a root cause and an action taken.")
    if field == "assignee":
        return _("A resolved follow-up is not assigned; reopen it first.")
    return _("This follow-up cannot make that move now (it may have changed meanwhile).")


def _change_of(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The store's change from the form's fields, or field errors (too long, unstorable)."""
    action = form.get("action", "")
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = [_("Choose what to do.")]
    change: dict[str, Any] = {"status": ACTIONS.get(action)}
    for name, longest in TEXT_FIELDS.items():
        value = (form.get(name) or "").strip()
        if not value:
            continue
        if len(value) > longest or not storable(value, multiline=name != "assignee"):
            errors[name] = [_("Too long, or characters that cannot be stored.")]
        change[name] = value
    if action == "assign" and not change.get("assignee"):
        errors["assignee"] = [_("Name the person to assign it to.")]
    if action != "assign":
        change.pop("assignee", None)
    return change, errors


def _seen(form: Any) -> str | None:
    """The status the form's page showed (its hidden `seen` field), if it sent one."""
    seen = form.get("seen")
    return seen if isinstance(seen, str) and seen else None


@bp.post("/dashboard/follow-ups/<follow_up_id>")
def work_follow_up(follow_up_id: str) -> Reply:
    """Assign a follow-up, record the contact, resolve it or reopen it (store.move)."""
    target = {"follow_up_id": follow_up_id}
    asked = request.form.get("action", "")
    action = f"dashboard follow-up {asked if asked in ACTIONS else '(unknown)'}"
    key, refused = _checked(action, target)
    if refused is not None:
        return refused
    assert key is not None
    who = str(key.get("name"))
    language = access.language()
    change, errors = _change_of(request.form)
    if not errors:
        try:
            follow_ups.move(get_db(), follow_up_id, change, who, _seen(request.form))
        except LookupError:
            audit_trail.record(action, target, 404, via="dashboard", who=who)
            return _refused(language, 404, _("There is no such follow-up."), {})
        except follow_ups.BadStep as exc:
            errors = {field: [_refusal(field)] for field in exc.errors}
    if errors:
        audit_trail.record(action, target, 422, via="dashboard", who=who)
        return _refused(language, 422, _("The follow-up was not changed."), errors)
    audit_trail.record(action, target, "ok", via="dashboard", who=who)
    return _back("follow-ups-title")


@bp.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, "'none'")

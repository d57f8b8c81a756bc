"""surveyctl: the operator's command line (keys, database, worker, demo data, local stack)."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import threading
from typing import TypeVar

import click
from pymongo.database import Database

from survey_core import audit, sealing
from survey_core.settings import ConfigError, Settings, WorkerSettings
from survey_core.storage import client
from survey_core.web import auth as apikeys

S = TypeVar("S", bound=Settings)
# The CLI runs long operations (index builds, imports): a longer database timeout than requests.
CLI_TIMEOUT_MS = 30_000


def _settings(kind: type[S] = Settings) -> S:  # type: ignore[assignment]  # default: the base
    try:
        return kind.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _db():  # noqa: ANN202 - a pymongo Database
    return client.database(_settings(), CLI_TIMEOUT_MS)


def _audited(db: Database, action: str, target: dict[str, str], outcome: str = "ok") -> None:
    """An audit record of an operator's command (who: the operating-system user)."""
    try:
        who = f"surveyctl:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        who = "surveyctl"
    audit.append(db, audit.entry(who, action, target, outcome=outcome, via="cli"))


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Operate Voice of Customer: API keys, database, demo data, local stack.

    Settings come from the environment; variables it lacks are taken from var/devstack.env
    (or SURVEYCTL_ENV_FILE), which `make run` writes for the stack it started.
    """
    from ops import stack_env

    if ctx.invoked_subcommand != "run":  # `run` starts a stack: it never joins a stale one
        stack_env.fill_in(os.environ)


@main.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option("--scope", required=True, type=click.Choice(apikeys.SCOPES))
def keys_create(name: str, scope: str) -> None:
    """Create a key and print it once; only its hash is stored."""
    db = _db()
    key, record = apikeys.create_key(db, name, scope)
    _audited(db, "keys create", {"name": name, "prefix": record["prefix"], "scope": scope})
    click.echo(key)
    click.echo(f"created {record['prefix']}... name={name} scope={scope}", err=True)


@keys.command("list")
def keys_list() -> None:
    """List keys (prefix, name, scope, dates), never the keys themselves."""
    for record in apikeys.list_keys(_db()):
        revoked = record["revoked_at"].isoformat() if record.get("revoked_at") else "-"
        click.echo(
            f"{record['prefix']}\t{record['name']}\t{record['scope']}\t"
            f"{record['created_at'].isoformat()}\trevoked={revoked}"
        )


@keys.command("revoke")
@click.argument("prefix_or_name")
def keys_revoke(prefix_or_name: str) -> None:
    """Revoke keys by prefix or name."""
    db = _db()
    count = apikeys.revoke_key(db, prefix_or_name)
    _audited(db, "keys revoke", {"key": prefix_or_name}, "ok" if count else "failed")
    if not count:
        raise click.ClickException(f"no active key matches {prefix_or_name!r}")
    click.echo(f"revoked {count} key(s)")


@main.group()
def db() -> None:
    """Database set-up."""


@db.command("init")
def db_init() -> None:
    """Create every index and seed the default surveys (idempotent)."""
    from ops.database import init_database

    names = init_database(_db())
    click.echo(json.dumps({"indexes": names}))


@db.command("migrate")
def db_migrate() -> None:
    """Rewrite keys of the old joined form and rebuild the rollups (idempotent)."""
    from ops.database import init_database
    from ops.migration import migrate, summary

    database = _db()
    init_database(database)

    def say(line: str) -> None:
        click.echo(line, err=True)

    for line in summary(migrate(database, say)):
        click.echo(line)


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--count", default=300, show_default=True, help="How many demo responses.")
def demo_load(count: int) -> None:
    """Load demo responses dated over the last 75 days (idempotent: a second run adds nothing),
    fold them, and open (and mostly resolve) the follow-ups of the unhappy ones."""
    from ops.database import init_database
    from ops.demo import load_demo

    database = _db()
    init_database(database)
    with click.progressbar(length=count, label="demo responses", file=sys.stderr) as bar:
        settings = _settings()
        created = load_demo(
            database, settings.tz, count, progress=bar.update, keyring=sealing.of(settings)
        )
    click.echo(f"demo data: {created} new response(s), {count - created} already there")
    from ops.demo import settle_demo

    settled = settle_demo(database, _settings(WorkerSettings))
    click.echo(
        f"demo data: {settled['follow_ups']} follow-up(s) and complaint(s) of unhappy responses, "
        f"{settled['resolved']} of them resolved"
    )
    from ops.demo import load_training_demo
    from training_survey.settings import TrainingSettings

    settings = _settings(TrainingSettings)
    evaluations = load_training_demo(database, settings, settings.spool_dir)
    click.echo(f"demo data: {evaluations} new training evaluation(s)")


@demo.command("link")
@click.option("--interaction", default=None, help="The contact's id (default: a new one).")
@click.option("--lang", type=click.Choice(["zh-CN", "en-US"]), default="zh-CN", show_default=True)
@click.option("--channel", type=click.Choice(["web", "chat", "email", "sms"]), default="chat")
def demo_link(interaction: str | None, lang: str, channel: str) -> None:
    """Print a survey link for one contact, to answer in a browser (the web survey's URL)."""
    import uuid

    from survey_core.questionnaires.invitations import invite
    from survey_core.web.pages import policy
    from web_survey.service import PURPOSE
    from web_survey.settings import WebSettings

    settings = _settings(WebSettings)
    database = _db()
    survey = database.surveys.find_one({"slug": "post-contact"}, sort=[("version", -1)])
    if survey is None:
        raise click.ClickException("no post-contact survey: run `surveyctl db init` first")
    body = {
        "channel": channel,
        "interaction_id": interaction or f"demo-{uuid.uuid4().hex[:10]}",
        "agent": "A01",
        "team": "north",
        "reason": "billing",
        "lang": lang,
    }
    made = invite(database, policy(settings, PURPOSE), survey, body)
    base = settings.public_base_url or os.environ.get("VOC_WEB_URL") or "http://127.0.0.1:8002"
    click.echo(f"{base}/s/{made.invitation['token']}")


@demo.command("call")
@click.option(
    "--url",
    envvar="VOC_IVR_URL",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="The IVR service (default: the `make run` stack's, VOC_IVR_URL).",
)
@click.option("--digits", default="5,9,2", show_default=True, help="Keys pressed, in order.")
@click.option("--lang", type=click.Choice(["zh-CN", "en-US"]), default="en-US", show_default=True)
@click.option("--agent", default="A01", show_default=True)
@click.option("--recording-seconds", default=7, show_default=True, help="0: leave no comment.")
def demo_call(url: str, digits: str, lang: str, agent: str, recording_seconds: int) -> None:
    """Place one signed test call through the IVR service and print what the caller hears."""
    from ivr_survey.settings import IvrSettings
    from ops.demo_call import CallFailed, place_call

    token = _settings(IvrSettings).twilio_auth_token
    keys = [d.strip() for d in digits.split(",") if d.strip()]
    try:
        call = place_call(
            url, token, keys, lang=lang, agent=agent, recording_seconds=recording_seconds
        )
    except CallFailed as exc:
        raise click.ClickException(str(exc)) from None
    if not call.hung_up:
        raise click.ClickException(f"the call {call.sid} did not end with a goodbye")
    click.echo(f"call {call.sid}: pressed {' '.join(call.pressed)}; the worker folds it in seconds")


@main.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--survey", default="imported", show_default=True, help="Survey name to file under.")
@click.option(
    "--open-follow-ups",
    is_flag=True,
    help="Queue a follow-up (and complaint) for each imported unhappy result; default: none.",
)
def import_csv(csv_file: str, survey: str, open_follow_ups: bool) -> None:
    """Load past survey results from CSV (idempotent: same interaction id, same response).

    Columns: interaction_id, datetime, channel, agent, team, reason, csat, nps, ces. Past
    results open no follow-up unless --open-follow-ups is given.
    """
    from ops.importer import count_rows, import_rows

    database = _db()
    with open(csv_file, encoding="utf-8-sig", newline="") as handle:
        total = count_rows(handle)
    with open(csv_file, encoding="utf-8-sig", newline="") as handle:
        with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
            try:
                summary = import_rows(
                    database,
                    handle,
                    _settings().tz,
                    survey,
                    progress=bar.update,
                    open_follow_ups=open_follow_ups,
                )
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
    click.echo(
        f"rows: {summary.rows}, loaded: {summary.loaded}, "
        f"already present: {summary.already_present}, "
        f"skipped: {sum(summary.skipped.values())}"
    )
    for reason, count in summary.skipped.most_common():
        click.echo(f"  skipped {count}: {reason}")
    for example in summary.examples:
        click.echo(f"  {example}", err=True)


@main.group()
def rollups() -> None:
    """Monthly rollups."""


@rollups.command("rebuild")
@click.option("--month", default=None, help="YYYY-MM; all months when omitted.")
@click.option("--check", is_flag=True, help="Report drift without repairing it.")
def rollups_rebuild(month: str | None, check: bool) -> None:
    """Recompute rollups from responses, report any drift and repair it."""
    from survey_core.months import parse_month
    from survey_core.rollups.rebuild import rebuild

    if month:
        try:
            parse_month(month)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from None
    click.echo("rebuilding rollups...", err=True)
    result = rebuild(_db(), month, repair=not check)
    for item in result["drift"]:
        click.echo(f"drift {item['rollup']}: {json.dumps(item['delta'])}")
    state = "repaired" if result["repaired"] else ("found" if result["drift"] else "none")
    click.echo(
        f"{result['documents']} rollup document(s) checked; drift: {len(result['drift'])} ({state})"
    )
    if result["drift"]:
        sys.exit(1)  # drift found is news, repaired or not: scripts and monitors must see it


@main.group()
def privacy() -> None:
    """Personal data: retention (and, to come, access and erasure requests)."""


@privacy.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def privacy_retention(dry_run: bool) -> None:
    """Remove personal data past its retention period (what the worker does once a day),
    repeating bounded passes until nothing is left."""
    from ops.retention import run
    from ops.worker import survey_lookup

    settings = _settings(WorkerSettings)
    database = client.database(settings, CLI_TIMEOUT_MS)
    survey_of = survey_lookup(database)
    total: dict[str, int] = {}
    while True:
        done = run(database, settings, survey_of, dry_run=dry_run)
        for kind, n in done.items():
            total[kind] = total.get(kind, 0) + n
        click.echo("  " + ", ".join(f"{k} {n}" for k, n in done.items()), err=True)
        if dry_run or not any(done.values()):
            break
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb}: " + ", ".join(f"{k} {n}" for k, n in total.items()))


def _subject_options(command):  # noqa: ANN001, ANN202 - a click command
    for name, text in reversed(
        [
            ("--phone", "A phone number, in any format."),
            ("--email", "An e-mail address."),
            ("--trainee-id", "A trainee (with --session-id)."),
            ("--session-id", "The trainee's session."),
            ("--interaction-id", "An interaction id (CallSid, ticket id)."),
            ("--channel", "Narrows --interaction-id to one channel."),
        ]
    ):
        command = click.option(name, default=None, help=text)(command)
    return command


def _privacy_request(action: str, subject: dict[str, str | None]) -> None:
    from ops.worker import survey_lookup
    from survey_core.messaging import TwilioUnavailable
    from survey_core.privacy import requests
    from survey_core.settings import PrivacySettings

    named = [k for k in ("phone", "email", "trainee_id", "interaction_id") if subject.get(k)]
    if len(named) != 1 or bool(subject.get("trainee_id")) != bool(subject.get("session_id")):
        raise click.UsageError(
            "name exactly one of --phone, --email, --trainee-id (with --session-id), "
            "--interaction-id"
        )
    settings = _settings(PrivacySettings)
    database = client.database(settings, CLI_TIMEOUT_MS)
    who = requests.Subject(**{k: v for k, v in subject.items() if v})
    try:
        report = requests.carry_out(
            database,
            action,
            who,
            settings.phone_hash_key,
            survey_lookup(database),
            settings,
            settings.spool_dir,
            sealing.of(settings),
        )
    except TwilioUnavailable as exc:
        _audited(database, f"privacy {action}", {"subject": named[0]}, "failed")
        raise click.ClickException(f"Twilio could not delete recordings ({exc})") from None
    except requests.RecordingsKept:
        _audited(database, f"privacy {action}", {"subject": named[0]}, "failed")
        raise click.ClickException(
            "the subject has recordings at Twilio: set TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN so they can be deleted, then run again"
        ) from None
    _audited(database, f"privacy {action}", {"subject": named[0]})
    click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


@privacy.command("rotate-key")
@click.option("--batch", default=500, show_default=True, help="Documents per batch.")
def privacy_rotate_key(batch: int) -> None:
    """Re-seal stored free text under the first FIELD_ENCRYPTION_KEY key (then the old keys,
    listed after it, can be dropped)."""
    from survey_core.privacy import rotation

    settings = _settings(Settings)
    keyring = sealing.of(settings)
    if not keyring.active:
        raise click.ClickException("FIELD_ENCRYPTION_KEY is not set: nothing to rotate to")
    database = client.database(settings, CLI_TIMEOUT_MS)
    with click.progressbar(
        length=rotation.total(database), label="re-sealing", file=sys.stderr
    ) as bar:
        done = rotation.rotate(database, keyring, batch, bar.update)
    _audited(database, "privacy rotate-key", {"documents": str(sum(done.values()))})
    click.echo("re-sealed: " + ", ".join(f"{k} {n}" for k, n in done.items()))


@privacy.command("export")
@_subject_options
def privacy_export(**subject: str | None) -> None:
    """Print everything stored about one subject as JSON (an access request)."""
    _privacy_request("export", subject)


@privacy.command("erase")
@_subject_options
def privacy_erase(**subject: str | None) -> None:
    """Erase one subject everywhere, keeping anonymous scores (reports do not change)."""
    _privacy_request("erase", subject)


@main.command("worker")
@click.option("--once", is_flag=True, help="One round (spool, idle calls, folding), then exit.")
def worker(once: bool) -> None:
    """Fold events into records and rollups, replay the spool, settle idle calls."""
    from ops.worker import run, step, survey_lookup
    from survey_core.web.observability import configure_logging

    settings = _settings(WorkerSettings)
    configure_logging(settings.log_level)
    if once:
        database = client.database(settings, CLI_TIMEOUT_MS)
        folded = step(database, settings, survey_lookup(database), sweep=True)
        click.echo(f"folded {folded} event(s)")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("worker: folding events (Ctrl-C stops)", err=True)
    try:
        run(settings, stop)
    except KeyboardInterrupt:
        pass


@main.command("run")
def run() -> None:
    """Run the whole stack locally (what `make run` calls)."""
    from ops.devstack import main as devstack_main

    sys.exit(devstack_main())


if __name__ == "__main__":
    main()

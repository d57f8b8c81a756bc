"""Delivering response webhooks (Standard Webhooks), retried with back-off, once per event id.

A delivery is claimed before it is sent (its `due_at` moves past the send's time-out), so two
workers never send it at once; a 2xx marks it delivered and takes it off the queue. A failure
(an error status, a refused connection, a time-out) is retried after 30 s, 1 min, 2 min, ...
up to 6 h apart, at most MAX_ATTEMPTS times. The `webhook-id` is the same on every attempt: a
receiver that saw a delivery whose 2xx we never heard (a crash between the two) drops the
repeat, as the standard asks of receivers.
"""

from __future__ import annotations

import json
import logging
import random
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database
from standardwebhooks.webhooks import Webhook

from survey_core import sealing
from survey_core.sealing import Keyring

log = logging.getLogger("voc.webhooks")
MAX_ATTEMPTS = 12
SEND_TIMEOUT_S = 10.0
FIRST_RETRY_S = 30.0
LONGEST_WAIT_S = 6 * 3600.0
Send = Callable[[str, bytes, dict[str, str]], int]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from 30 s, at most 6 h, +-10%."""
    wait = min(FIRST_RETRY_S * 2 ** (attempts - 1), LONGEST_WAIT_S)
    return timedelta(seconds=wait * random.uniform(0.9, 1.1))


def http_send(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url`; the status (0 when nothing came back)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_S) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return 0


def mail_sender(host: str, port: int, sender: str) -> Send:
    """Deliveries to mailto: URLs as e-mail through SMTP (250 counts as 200); others by HTTP."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        if not url.startswith("mailto:"):
            return http_send(url, body, headers)
        payload = json.loads(body)
        data = payload.get("data") or {}
        message = EmailMessage()
        message["From"], message["To"] = sender, url.removeprefix("mailto:")
        message["Subject"] = (
            f"[Voice of Customer] {data.get('level', '')} alert: {data.get('category', '')}, "
            f"{data.get('count', '')} complaints within {data.get('window_minutes', '')} min"
        )
        message["Message-ID"] = f"<{headers['webhook-id']}@voice-of-customer>"
        message.set_content(json.dumps(payload, indent=2, ensure_ascii=False))
        try:
            with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_S) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("alert e-mail not sent: %s", type(exc).__name__)
            return 0
        return 200

    return send


def signed_headers(secret: str, delivery: dict[str, Any], body: bytes) -> dict[str, str]:
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(delivery["_id"], now, body.decode())
    return {
        "Content-Type": "application/json",
        "User-Agent": "voice-of-customer-webhooks",
        "webhook-id": delivery["_id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _claim(db: Database, now: datetime) -> dict[str, Any] | None:
    return db.webhook_deliveries.find_one_and_update(
        {"due_at": {"$lte": now}},
        {"$set": {"due_at": now + timedelta(seconds=SEND_TIMEOUT_S * 3)}, "$inc": {"attempts": 1}},
        sort=[("due_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def _opened(payload: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        return payload
    return {**payload, "data": {**data, "answers": keyring.open_answers(data["answers"])}}


def deliver_due(
    db: Database,
    secret: str,
    send: Send = http_send,
    limit: int = 50,
    keyring: Keyring = sealing.NO_KEYS,
) -> int:
    """Send up to `limit` deliveries that are due, free text opened with `keyring` (stored
    sealed, sent in clear); returns how many were delivered."""
    delivered = 0
    for _ in range(limit):
        now = datetime.now(UTC)
        delivery = _claim(db, now)
        if delivery is None:
            break
        payload = _opened(delivery["payload"], keyring)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        status = send(delivery["url"], body, signed_headers(secret, delivery, body))
        done = {"last_status": status, "last_attempt_at": now}
        if 200 <= status < 300:
            update = {"$set": {**done, "delivered_at": datetime.now(UTC)}, "$unset": {"due_at": ""}}
            delivered += 1
        elif delivery["attempts"] >= MAX_ATTEMPTS:
            log.error("webhook %s gave up after %d attempts", delivery["_id"], MAX_ATTEMPTS)
            update = {"$set": {**done, "failed_at": now}, "$unset": {"due_at": ""}}
        else:
            log.warning("webhook %s: status %s; retrying", delivery["_id"], status or "none")
            update = {"$set": {**done, "due_at": now + backoff(delivery["attempts"])}}
        db.webhook_deliveries.update_one({"_id": delivery["_id"]}, update)
    return delivered

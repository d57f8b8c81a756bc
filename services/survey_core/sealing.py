"""Free text sealed at rest under FIELD_ENCRYPTION_KEY: comments, transcripts, recording URLs.

A sealed value is the dict `{"enc": "<Fernet token>"}`: no answer a customer can give has that
shape (a free-text answer is a string, a recording `{url, duration}`), so old plaintext and new
ciphertext read side by side. The first key seals, every key opens (MultiFernet), so a new key
is put first, `surveyctl privacy rotate-key` re-seals what is stored, and the old key is dropped.
Values are opened only to be shown or exported; reports read scores and never open anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger("voc.sealing")
SEALED = "enc"
# Question types whose answers are free text, and which part of the answer is.
TEXT_TYPES = ("text",)
RECORDING_TYPES = ("recording",)


class SealedError(RuntimeError):
    """A sealed value no configured key opens (FIELD_ENCRYPTION_KEY lacks the key it needs)."""


def is_sealed(value: Any) -> bool:
    """Is `value` a sealed string?"""
    return isinstance(value, Mapping) and set(value) == {SEALED} and isinstance(value[SEALED], str)


def is_text(value: Any) -> bool:
    """Is `value` free text, in clear or sealed?"""
    return isinstance(value, str) or is_sealed(value)


def parse_keys(raw: str) -> tuple[str, ...]:
    """The keys of a FIELD_ENCRYPTION_KEY value (comma-separated, first seals); ValueError names
    a key that is not a Fernet key (32 url-safe base64-encoded bytes)."""
    found = tuple(k.strip() for k in raw.split(",") if k.strip())
    for i, key in enumerate(found, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(
                f"key {i} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return found


class Keyring:
    """Seals with the first key, opens with any; without keys, seals nothing."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys = tuple(keys)
        self._fernet = MultiFernet([Fernet(k) for k in self.keys]) if self.keys else None

    @property
    def active(self) -> bool:
        return self._fernet is not None

    def seal(self, value: Any) -> Any:
        """`value` sealed if it is a string and a key is set; anything else as it is (a sealed
        value stays as it is: sealing twice is sealing once)."""
        if self._fernet is None or not isinstance(value, str):
            return value
        token = self._fernet.encrypt(value.encode("utf-8", "surrogatepass"))
        return {SEALED: token.decode("ascii")}

    def open(self, value: Any) -> Any:
        """The plaintext of a sealed `value`; anything else as it is."""
        if not is_sealed(value):
            return value
        if self._fernet is None:
            raise SealedError("a sealed value was read but FIELD_ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(value[SEALED]).decode("utf-8", "surrogatepass")
        except InvalidToken:
            raise SealedError("a sealed value no FIELD_ENCRYPTION_KEY key opens") from None

    def shown(self, value: Any) -> Any:
        """`open` for a page or a list: a value no key opens is shown as None (and logged,
        without its content) rather than failing the whole page."""
        try:
            return self.open(value)
        except SealedError as exc:
            log.warning("free text not shown: %s", exc)
            return None

    def reseal(self, value: Any) -> Any:
        """A sealed `value` sealed again under the first key unless it is already (rotation);
        anything else as it is."""
        if self._fernet is None or not is_sealed(value):
            return value
        try:
            Fernet(self.keys[0]).decrypt(value[SEALED])
            return value
        except InvalidToken:
            pass
        try:
            return {SEALED: self._fernet.rotate(value[SEALED]).decode("ascii")}
        except InvalidToken:
            raise SealedError("a sealed value no FIELD_ENCRYPTION_KEY key opens") from None

    def reseal_all(self, value: Any) -> Any:
        """`value` with every sealed value inside it (at any depth) resealed."""
        if is_sealed(value):
            return self.reseal(value)
        if isinstance(value, Mapping):
            return {k: self.reseal_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.reseal_all(v) for v in value]
        return value

    # An answer: free text is a string (text) or the URL of a recording ({url, duration}).
    def seal_answer(self, value: Any, qtype: str | None) -> Any:
        return self._answer(value, qtype, self.seal)

    def open_answer(self, value: Any) -> Any:
        return self._answer(value, None, self.open)

    def shown_answer(self, value: Any) -> Any:
        return self._answer(value, None, self.shown)

    def _answer(self, value: Any, qtype: str | None, step: Any) -> Any:
        if isinstance(value, Mapping) and "url" in value and not is_sealed(value):
            if qtype is None or qtype in RECORDING_TYPES:
                return {**value, "url": step(value["url"])}
            return value
        if qtype is None or qtype in TEXT_TYPES:
            return step(value)
        return value

    def seal_answers(self, answers: Mapping[str, Any], qtypes: Mapping[str, str]) -> dict[str, Any]:
        return {k: self.seal_answer(v, qtypes.get(k)) for k, v in answers.items()}

    def open_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.open_answer(v) for k, v in answers.items()}

    def shown_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers as a page shows them: any no key opens left out."""
        opened = {k: self.shown_answer(v) for k, v in answers.items()}
        return {k: v for k, v in opened.items() if v is not None or answers[k] is None}

    def open_all(self, value: Any) -> Any:
        """`value` with every sealed value inside it (at any depth) opened."""
        if is_sealed(value):
            return self.open(value)
        if isinstance(value, Mapping):
            return {k: self.open_all(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.open_all(v) for v in value]
        return value


NO_KEYS = Keyring()
KEYRING = "voc.keyring"


def current() -> Keyring:
    """The keyring of the running app (built once from its settings)."""
    from flask import current_app

    found = current_app.extensions.get(KEYRING)
    if found is None:
        found = of(current_app.config["SETTINGS"])
        current_app.extensions[KEYRING] = found
    return found


def of(settings: Any) -> Keyring:
    """The keyring `settings` configure (none: no keys)."""
    return Keyring(getattr(settings, "field_encryption_keys", ()) or ())

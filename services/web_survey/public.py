"""The page languages (Flask-Babel): the link's or the switch's, else the browser's."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

from survey_core.surveys.schema import LANGUAGES


def page_locale() -> str:
    """Babel's locale: the page's language (zh-CN -> zh_CN), else the one asked for with
    `?lang=`, else the browser's best match. (Only the query string: reading a form here
    would raise again the 413 that an error page is being rendered for.)"""
    asked_for = request.args.get("lang")
    language = (
        g.get("language")
        or (asked_for if asked_for in LANGUAGES else None)
        or request.accept_languages.best_match(LANGUAGES)
        or "zh-CN"
    )
    return str(language).replace("-", "_")


def init_babel(app: Flask) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE="zh_CN", BABEL_TRANSLATION_DIRECTORIES="translations")
    Babel(app, locale_selector=page_locale)

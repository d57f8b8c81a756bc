"""What the web survey's pages and APIs share: its surveys, its links, its spool."""

from __future__ import annotations

from flask import current_app

from survey_core.web.pages import Questionnaires
from web_survey.settings import WebSettings

PURPOSE = "survey"


def settings() -> WebSettings:
    return current_app.config["SETTINGS"]


QUESTIONNAIRES = Questionnaires(PURPOSE)
spool = QUESTIONNAIRES.spool
link_policy = QUESTIONNAIRES.policy

"""What the web survey's pages and APIs share: its surveys, its links, its spool."""

from __future__ import annotations

from flask import current_app

from survey_core.surveys.catalog import SurveyCatalog
from survey_core.web.pages import Questionnaires
from web_survey.default_survey import POST_CONTACT
from web_survey.settings import WebSettings

PURPOSE = "survey"
catalog = SurveyCatalog(builtins=[POST_CONTACT])


def settings() -> WebSettings:
    return current_app.config["SETTINGS"]


QUESTIONNAIRES = Questionnaires(PURPOSE, catalog)
spool = QUESTIONNAIRES.spool
link_policy = QUESTIONNAIRES.policy

"""What the web survey's pages and APIs share: its surveys, its links, its spool."""

from __future__ import annotations

from flask import current_app

from survey_core.questionnaires.invitations import LinkPolicy
from survey_core.responses.spool import Spool
from survey_core.surveys.catalog import SurveyCatalog
from survey_core.web.pages import Questionnaires, policy
from web_survey.default_survey import POST_CONTACT
from web_survey.settings import WebSettings

PURPOSE = "survey"
catalog = SurveyCatalog(builtins=[POST_CONTACT])


def spool() -> Spool:
    """Writes that meet a database outage wait here; `surveyctl worker` replays them."""
    return current_app.extensions["web_spool"]


def settings() -> WebSettings:
    return current_app.config["SETTINGS"]


def link_policy() -> LinkPolicy:
    return policy(settings(), PURPOSE)


QUESTIONNAIRES = Questionnaires(PURPOSE, catalog, spool)

"""HTTP endpoints of the ivr service."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ivr", __name__)

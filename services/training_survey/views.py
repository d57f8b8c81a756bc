"""HTTP endpoints of the training service."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)

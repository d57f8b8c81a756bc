"""HTTP endpoints of the aggregator service."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("aggregator", __name__)

"""The baseline of bench/ivr_webhook.py and bench/web_submit.py: Flask handlers that do one
insert_one (a form body at /hit, a JSON body at /hit.json).

Its MongoClient is configured like ours (survey_core.storage.client): w="majority" and
retryWrites=False, so the comparison measures our request handling, not a driver setting.
"""

import os

from flask import Flask, request
from pymongo import MongoClient


def create_app() -> Flask:
    app = Flask(__name__)
    client = MongoClient(
        os.environ["MONGO_URI"], connect=False, w="majority", retryWrites=False, tz_aware=True
    )
    collection = client[os.environ.get("MONGO_DB", "bench")]["minimal"]

    @app.post("/hit")
    def hit():
        collection.insert_one(dict(request.form))
        return (
            '<?xml version="1.0" encoding="UTF-8"?><Response/>',
            200,
            {"Content-Type": "text/xml"},
        )

    @app.post("/hit.json")
    def hit_json():
        """The baseline of bench/web_submit.py: the same, for a JSON body."""
        collection.insert_one(dict(request.get_json()))
        return {"status": "stored"}, 201

    return app

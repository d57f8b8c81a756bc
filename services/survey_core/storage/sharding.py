"""The shard key of every collection, for a sharded cluster (deploy/SCALING.md says why).

A collection maps to its shard key pattern (what `sh.shardCollection` takes), or to None: not
sharded, it stays whole on the database's primary shard, and a query on it goes to that one
shard whatever its filter. Only the collections that grow with the traffic are sharded, each on
the key its request-path queries name, so that mongos sends every request's query to one shard
(tests/deploy/test_shard_keys.py drives every service and checks). deploy/mongo/shard.js, run
by deploy/docker-compose.sharded.yml, shards exactly these.
"""

from __future__ import annotations

ShardKey = dict[str, str | int]

SHARD_KEYS: dict[str, ShardKey | None] = {
    # Sharded: they grow with every contact.
    "events": {"rid": "hashed"},  # a response's events together; every webhook's insert
    "responses": {"_id": "hashed"},  # "<channel>:<interaction>"
    "callers": {"_id": "hashed"},  # a caller's keyed hash: the suppression look-up
    # Not sharded: small, or read a month (or a status) at a time by reports and the worker.
    "invitations": None,
    "rollups": None,
    "surveys": None,
    "api_keys": None,
    "dashboard_sessions": None,
    "audit": None,
    "privacy_requests": None,
    "trainers": None,
    "training_sessions": None,
    "training_rosters": None,
    "complaints": None,
    "complaint_counts": None,
    "alerts": None,
    "alert_rules": None,
    "follow_ups": None,
    "followup_queue": None,
    "webhook_deliveries": None,
    "monitor_scores": None,
    "agent_ratings": None,
    "thanks": None,
    "live": None,
    "fold_state": None,
    "locks": None,
    "import_batches": None,
}


def shard_key(collection: str) -> ShardKey | None:
    """The shard key of `collection` (KeyError for a collection this table does not know)."""
    return SHARD_KEYS[collection]


def sharded() -> dict[str, ShardKey]:
    """The sharded collections and their keys."""
    return {name: key for name, key in SHARD_KEYS.items() if key is not None}

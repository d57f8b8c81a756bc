// Shards the cluster of deploy/docker-compose.sharded.yml (run by mongosh against mongos):
// adds the shards, enables sharding on the database, and shards the collections that grow with
// the traffic on the keys of services/survey_core/storage/sharding.py (tests/deploy checks that
// SHARD_KEYS below is that table's sharded part). Every other collection stays unsharded on the
// database's primary shard (deploy/SCALING.md says why). Idempotent: it runs on every `up`, and
// it shards a collection that already holds data too (the hashed index is built first).
const dbName = process.env.MONGO_DB || "voc";
const shards = (process.env.SHARDS || "shard1/shard1:27018,shard2/shard2:27018").split(",");

const SHARD_KEYS = {
  "events": {"rid": "hashed"},
  "responses": {"_id": "hashed"},
  "callers": {"_id": "hashed"}
};

const known = db.adminCommand({ listShards: 1 }).shards.map((s) => s._id);
for (const shard of shards) {
  if (!known.includes(shard.split("/")[0])) {
    printjson(sh.addShard(shard));
  }
}
printjson(sh.enableSharding(dbName));

const database = db.getSiblingDB(dbName);
for (const [name, key] of Object.entries(SHARD_KEYS)) {
  const ns = `${dbName}.${name}`;
  const found = db.getSiblingDB("config").collections.findOne({ _id: ns });
  if (found === null || found.unsplittable) {
    database.getCollection(name).createIndex(key);
    printjson(sh.shardCollection(ns, key));
  } else if (JSON.stringify(found.key) !== JSON.stringify(key)) {
    throw new Error(`${ns} is sharded on ${JSON.stringify(found.key)}, not ${JSON.stringify(key)}`);
  }
}

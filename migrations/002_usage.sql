-- Usage: observed reads, aggregated per identity and asset, and API keys that let a
-- consumer prove who it is to the access check.

-- One row per (asset, identity) that has ever been seen reading, not one per read:
-- ingestion adds to `count` with INSERT ... ON CONFLICT DO UPDATE, so concurrent batches
-- add up instead of overwriting each other. `identity` is a consumer's name (an API key
-- is resolved to its consumer before it is stored) or any other identity string.
-- Whether a reader is undeclared is decided when the table is read, against the
-- declarations as they are then, so registering a dependency clears it at once.
CREATE TABLE usage_reads (
  asset_id   integer     NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  identity   text        NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen  timestamptz NOT NULL,
  count      bigint      NOT NULL CHECK (count > 0),
  PRIMARY KEY (asset_id, identity)
);

-- Only the SHA-256 of a secret is kept; `prefix` (the secret's first characters) lets
-- the owner tell keys apart in a listing without the secret being stored.
CREATE TABLE api_keys (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_id integer     NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  prefix      text        NOT NULL,
  secret_hash text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_keys_consumer_idx ON api_keys (consumer_id, id);

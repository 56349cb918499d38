-- Bearer tokens for three principals (src/domain/principal.ts): an admin (neither team
-- nor consumer), a team (an asset owner), or a consumer (a consumer asset). Only a
-- SHA-256 of each secret is stored: secrets are 256 random bits, so a fast hash is safe
-- and lets authentication find a token with one unique-index probe.
CREATE TABLE tokens (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text        NOT NULL,
  team        text,
  consumer_id integer     REFERENCES assets (id) ON DELETE CASCADE,
  scopes      text[]      NOT NULL,
  prefix      text        NOT NULL,
  secret_hash text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  revoked_at  timestamptz,
  CONSTRAINT tokens_name_key UNIQUE (name),
  CONSTRAINT tokens_secret_hash_key UNIQUE (secret_hash),
  CONSTRAINT tokens_one_principal CHECK (team IS NULL OR consumer_id IS NULL)
);
CREATE INDEX tokens_consumer_idx ON tokens (consumer_id, id);

-- Consumers' API keys become consumer tokens, keeping their ids (their routes name them),
-- their secrets (by hash) and what they could do: the access check, and usage reports.
INSERT INTO tokens (id, name, consumer_id, scopes, prefix, secret_hash, created_at, revoked_at)
OVERRIDING SYSTEM VALUE
SELECT k.id, 'consumer:' || a.name || '/' || k.prefix, k.consumer_id, ARRAY['read', 'write', 'ingest'],
       k.prefix, k.secret_hash, k.created_at, k.revoked_at
  FROM api_keys k JOIN assets a ON a.id = k.consumer_id;
SELECT setval(pg_get_serial_sequence('tokens', 'id'), COALESCE((SELECT max(id) FROM tokens), 0) + 1, false);
DROP TABLE api_keys;

-- The history's actor is the token's name; X-Actor may add whom it acted for.
ALTER TABLE asset_history ADD COLUMN on_behalf_of text;

-- Core catalog: assets, their declared dependencies, the graph change log that keeps
-- every process's in-memory closure index exact, and the per-asset change history.

CREATE TABLE assets (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind           text        NOT NULL CHECK (kind IN ('source', 'feature', 'model', 'consumer')),
  name           text        NOT NULL,
  owner          text        NOT NULL,
  description    text,
  lifecycle      text        NOT NULL DEFAULT 'production'
                 CHECK (lifecycle IN ('experimental', 'production', 'deprecated', 'retired')),
  tags           text[]      NOT NULL DEFAULT '{}',
  platforms      text[],
  domains        text[],
  value_type     text,
  stability      text,
  access_policy  text,
  contact        text,
  sla            jsonb,
  metadata       jsonb       NOT NULL DEFAULT '{}',
  deprecation_reason text,
  replaced_by    text,
  sunset_at      date,
  deprecated_at  timestamptz,
  revision       integer     NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT assets_kind_name_key UNIQUE (kind, name)
);
CREATE INDEX assets_owner_idx ON assets (owner, kind, name);
CREATE INDEX assets_tags_idx ON assets USING gin (tags);

-- An edge "dependent depends on dependency". There are no foreign keys on purpose: at
-- four million edges, each key check takes a row lock on the referenced asset and the
-- bulk load spends most of its time there. Integrity is kept by the service instead:
-- every edge is written, and every asset deleted together with its edges, inside a
-- transaction that holds the graph write lock and has resolved both ends.
CREATE TABLE dependencies (
  dependent_id   integer NOT NULL,
  dependency_id  integer NOT NULL,
  pinned_version text,
  importance     double precision,
  note           text,
  PRIMARY KEY (dependent_id, dependency_id),
  CHECK (dependent_id <> dependency_id)
);
CREATE INDEX dependencies_dependency_idx ON dependencies (dependency_id);

-- Every committed change to the graph appends the ids of the assets it touched.
-- Writers take one advisory lock before writing, so sequence order is commit order
-- and any snapshot of this table is a prefix of it: a process that has applied
-- every entry up to N and reads the entries after N is exact.
CREATE TABLE graph_changes (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id   integer     NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- Every create, update, deprecation, reinstatement and deletion, with before/after.
-- Not tied to assets by a foreign key: a deleted asset's history stays readable.
CREATE TABLE asset_history (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_id  integer     NOT NULL,
  kind      text        NOT NULL,
  name      text        NOT NULL,
  action    text        NOT NULL CHECK (action IN ('create', 'update', 'deprecate', 'reinstate', 'delete')),
  actor     text        NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  revision  integer     NOT NULL,
  changes   jsonb       NOT NULL DEFAULT '[]',
  reason    text
);
CREATE INDEX asset_history_ref_idx ON asset_history (kind, name, id DESC);

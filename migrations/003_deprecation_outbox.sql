-- Deprecation notices: an outbox of webhook deliveries, written in the same transaction
-- as the deprecation, delivered by an in-process worker. The table is the whole state,
-- so a restart loses nothing; see docs/deprecation-and-history.md.

CREATE TABLE notification_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event           text        NOT NULL,
  asset           text        NOT NULL,  -- the ref the event is about, e.g. feature:ctr_7d
  consumer        text        NOT NULL,  -- the consumer ref being told
  url             text        NOT NULL,
  payload         json        NOT NULL,  -- json, not jsonb: keeps the key order receivers see
  state           text        NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'failing', 'given_up')),
  attempts        integer     NOT NULL DEFAULT 0,
  last_error      text,
  -- When the row is next due; while a worker delivers it, the end of that worker's lease.
  -- NULL once delivered or given up.
  next_attempt_at timestamptz DEFAULT now(),
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- The worker's claim: due rows only, oldest first.
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at)
  WHERE state IN ('pending', 'failing');
CREATE INDEX notification_outbox_asset_idx ON notification_outbox (asset, id DESC);

-- Read-time deprecation warnings look up the (few) deprecated assets on every read.
CREATE INDEX assets_deprecated_idx ON assets (id)
  WHERE deprecated_at IS NOT NULL OR lifecycle IN ('deprecated', 'retired');

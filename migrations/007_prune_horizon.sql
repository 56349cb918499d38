-- The change log is pruned behind a horizon (src/services/pruner.ts): every entry at or
-- below graph_log_horizon.seq may be gone. A process whose index stands below it can no
-- longer catch up from the log and reloads its snapshot instead (src/graph/graph-sync.ts).
-- One row, always there: `id` admits only true, so nothing can add a second.
CREATE TABLE graph_log_horizon (
  id  boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint  NOT NULL DEFAULT 0
);
INSERT INTO graph_log_horizon DEFAULT VALUES;

-- Delivered notices are deleted once older than DEPCAT_OUTBOX_KEEP_MS, oldest first, in
-- bounded batches: this finds them without reading the rows still in play.
CREATE INDEX notification_outbox_delivered_idx ON notification_outbox (delivered_at)
  WHERE state = 'delivered';

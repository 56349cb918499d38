-- Findings: "which assets does X replace?" is asked for every per-asset findings read;
-- only deprecated assets carry a replacement, so the index stays small.
CREATE INDEX assets_replaced_by_idx ON assets (replaced_by) WHERE replaced_by IS NOT NULL;

-- Nothing reads dependencies by dependency_id: who depends on an asset is answered by
-- each process's in-memory index (deletions check, under the graph write lock, that it
-- is current). The index was the costliest part of storing an edge: its keys are the
-- popular assets, so every new edge landed on a random page of a large tree. Lookups by
-- (dependent_id, dependency_id) keep the primary key.
DROP INDEX IF EXISTS dependencies_dependency_idx;

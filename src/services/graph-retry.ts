/**
 * Writes that act on what the in-memory index says (who consumes an asset, who depends on
 * it) read the index before their transaction: on the embedded database a read inside it
 * would wait for it. Under the graph lock, an unchanged change-log position proves that
 * reading still exact; otherwise the write returns GRAPH_MOVED and is tried again.
 */
export const GRAPH_MOVED = Symbol('graph moved');

/** How often the graph may change under such a write before it gives up. */
export const MAX_GRAPH_RETRIES = 5;

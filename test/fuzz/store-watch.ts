import pg from 'pg';

/** The columns the outbox worker updates as it delivers: its bookkeeping, not a change anyone requested. */
const OUTBOX_DELIVERY_COLUMNS = ['state', 'attempts', 'last_error', 'next_attempt_at', 'delivered_at'];

export interface StoredChange {
  id: number;
  table: string;
  op: string;
  row: Record<string, unknown> | null;
}

export interface Snapshot {
  /** Rows and an md5 of their ordered text, per table. */
  tables: Record<string, { rows: number; md5: string | null }>;
}

/**
 * Sees every change to the catalog's tables: a row trigger on each table appends what
 * changed to a log (`fuzz_changes`), so "did this refused request store anything?" costs
 * one indexed read of the log's last id, and when it did, the log says which rows. A
 * checksum of whole tables would cost a scan per request and could not say which
 * request did it once requests run back to back. A rolled-back write leaves no entry:
 * the entry is part of the same transaction. No-op updates (a row rewritten with the
 * same values) are not changes and are not logged; nor is what goes on in the background:
 * the outbox worker's delivery bookkeeping, and pruning of the change log and of
 * delivered notices.
 */
export class StoreWatch {
  private last = 0;
  readonly tables: string[] = [];

  private constructor(private readonly client: pg.Client) {}

  /** Installs the log and its triggers on every table of the app's schema (after migrations). */
  static async install(url: string): Promise<StoreWatch> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const watch = new StoreWatch(client);
    const ignored = OUTBOX_DELIVERY_COLUMNS.map((c) => `'${c}'`).join(', ');
    await client.query(`
      CREATE TABLE fuzz_changes (id bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, row jsonb);
      CREATE FUNCTION fuzz_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          INSERT INTO fuzz_changes (tbl, op) VALUES (TG_TABLE_NAME, TG_OP);
          RETURN NULL;
        END IF;
        -- Pruning behind a horizon (the change log, delivered notices) is housekeeping, not a stored change.
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('graph_changes', 'notification_outbox') THEN RETURN NULL; END IF;
        IF TG_OP = 'UPDATE' THEN
          IF to_jsonb(OLD) = to_jsonb(NEW) THEN RETURN NULL; END IF;
          IF TG_TABLE_NAME = 'notification_outbox'
             AND (to_jsonb(OLD) - ARRAY[${ignored}]) = (to_jsonb(NEW) - ARRAY[${ignored}]) THEN
            RETURN NULL;
          END IF;
        END IF;
        INSERT INTO fuzz_changes (tbl, op, row)
          VALUES (TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END);
        RETURN NULL;
      END $$;
    `);
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'fuzz_changes'
        ORDER BY table_name`,
    );
    for (const { name } of rows) {
      await client.query(`CREATE TRIGGER fuzz_row AFTER INSERT OR UPDATE OR DELETE ON "${name}" FOR EACH ROW EXECUTE FUNCTION fuzz_log()`);
      await client.query(`CREATE TRIGGER fuzz_truncate AFTER TRUNCATE ON "${name}" FOR EACH STATEMENT EXECUTE FUNCTION fuzz_log()`);
      watch.tables.push(name);
    }
    return watch;
  }

  /** The changes stored since the last call (in order); the next call starts after them. */
  async changes(): Promise<StoredChange[]> {
    const { rows } = await this.client.query<{ last: string | null }>('SELECT max(id) AS last FROM fuzz_changes');
    const last = Number(rows[0].last ?? 0);
    if (last === this.last) return [];
    const found = await this.client.query<{ id: string; tbl: string; op: string; row: Record<string, unknown> | null }>(
      'SELECT id, tbl, op, row FROM fuzz_changes WHERE id > $1 AND id <= $2 ORDER BY id',
      [this.last, last],
    );
    this.last = last;
    return found.rows.map((r) => ({ id: Number(r.id), table: r.tbl, op: r.op, row: r.row }));
  }

  /** Row counts and a checksum of each table's rows, ordered: a whole-store fingerprint (less the outbox's delivery bookkeeping). */
  async snapshot(): Promise<Snapshot> {
    const tables: Snapshot['tables'] = {};
    const ignored = OUTBOX_DELIVERY_COLUMNS.map((c) => `'${c}'`).join(', ');
    for (const name of this.tables) {
      const row = name === 'notification_outbox' ? `(to_jsonb(t) - ARRAY[${ignored}])::text` : 't::text';
      const { rows } = await this.client.query<{ rows: string; md5: string | null }>(
        `SELECT count(*) AS rows, md5(string_agg(${row}, E'\\n' ORDER BY ${row})) AS md5 FROM "${name}" t`,
      );
      tables[name] = { rows: Number(rows[0].rows), md5: rows[0].md5 };
    }
    return { tables };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

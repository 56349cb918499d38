import DataLoader from 'dataloader';
import { deprecatedSql } from '../domain/deprecation.js';
import type { AccessPolicy, Ref } from '../domain/model.js';
import type { Scope } from './scope.js';

/** Everything one access decision needs. */
export interface AccessInputs {
  assetId: number | null;
  accessPolicy: AccessPolicy | null;
  sunsetAt: string | null;
  pastSunset: boolean;
  deprecated: boolean;
  replacedBy: string | null;
  consumerId: number | null;
  consumerName: string | null;
  declared: boolean;
}

/** One check's question: the asset, and the consumer by name (a consumer token's own, or the body's). */
export interface AccessLookup {
  asset: Ref;
  consumer: string;
}

interface RawInputs {
  ord: string;
  asset_id: number | null;
  access_policy: AccessPolicy | null;
  sunset_at: string | null;
  past_sunset: boolean | null;
  deprecated: boolean | null;
  replaced_by: string | null;
  consumer_id: number | null;
  consumer_name: string | null;
  declared: boolean;
}

// One row per lookup, in order; every join is a unique-index probe: assets (kind, name)
// and dependencies (dependent_id, dependency_id). A consumer token was authenticated
// before the check, which names its consumer.
const INPUTS = `
SELECT r.ord, a.id AS asset_id, a.access_policy, a.sunset_at::text AS sunset_at,
       a.sunset_at < current_date AS past_sunset, ${deprecatedSql('a')} AS deprecated, a.replaced_by,
       c.id AS consumer_id, c.name AS consumer_name,
       EXISTS (SELECT 1 FROM dependencies d WHERE d.dependent_id = c.id AND d.dependency_id = a.id) AS declared
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(kind, name, consumer, ord)
  LEFT JOIN assets a ON a.kind = r.kind AND a.name = r.name
  LEFT JOIN assets c ON c.kind = 'consumer' AND c.name = r.consumer
 ORDER BY r.ord`;

const toInputs = (row: RawInputs): AccessInputs => ({
  assetId: row.asset_id,
  accessPolicy: row.access_policy,
  sunsetAt: row.sunset_at,
  pastSunset: row.past_sunset === true,
  deprecated: row.deprecated === true,
  replacedBy: row.replaced_by,
  consumerId: row.consumer_id,
  consumerName: row.consumer_name,
  declared: row.declared,
});

/** Statements in flight at once (of a pool of 10); more checks wait and join the next one. */
const MAX_IN_FLIGHT = 4;

/**
 * The serving-path read of the access check. Concurrent checks share statements
 * (DataLoader batching with its cache off: nothing is remembered between statements, so
 * every answer reflects the database as of a statement that started after its check
 * arrived). At most MAX_IN_FLIGHT statements run at once; checks arriving meanwhile
 * gather into the next one, so under load a round trip answers many checks, and when
 * idle a check goes out at once. It runs on the pool only, never inside a write
 * transaction, so it is not part of Store.
 */
export class AccessRepository {
  private readonly loader: DataLoader<AccessLookup, AccessInputs>;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor({ query }: Scope) {
    this.loader = new DataLoader(
      async (lookups) => {
        try {
          const rows = await query<RawInputs>(
            INPUTS,
            [
              lookups.map((l) => l.asset.kind),
              lookups.map((l) => l.asset.name),
              lookups.map((l) => l.consumer),
            ],
            'depcat_access_inputs',
          );
          return rows.map(toInputs);
        } finally {
          // Hand this statement's slot to the batch that gathered meanwhile, if any.
          const next = this.waiting.shift();
          if (next) setImmediate(next);
          else this.inFlight--;
        }
      },
      {
        cache: false,
        maxBatchSize: 1000,
        // setImmediate rather than the end of the tick: each HTTP request arrives in a
        // callback of its own, and setImmediate runs after every request read in the same
        // poll of the sockets has asked.
        batchScheduleFn: (dispatch) => {
          if (this.inFlight < MAX_IN_FLIGHT) {
            this.inFlight++;
            setImmediate(dispatch);
          } else this.waiting.push(dispatch);
        },
      },
    );
  }

  inputs(lookup: AccessLookup): Promise<AccessInputs> {
    return this.loader.load(lookup);
  }
}

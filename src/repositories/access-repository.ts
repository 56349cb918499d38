import type { AccessPolicy, Ref } from '../domain/model.js';
import type { DbClient } from './db-client.js';

/** Everything one access decision needs, read in one statement. */
export interface AccessInputs {
  assetId: number | null;
  accessPolicy: AccessPolicy | null;
  sunsetAt: string | null;
  pastSunset: boolean;
  deprecated: boolean;
  replacedBy: string | null;
  /** Set when a key was given and exists. */
  keyId: number | null;
  keyRevoked: boolean;
  consumerId: number | null;
  consumerName: string | null;
  declared: boolean;
}

interface RawInputs {
  asset_id: number | null;
  access_policy: AccessPolicy | null;
  sunset_at: string | null;
  past_sunset: boolean | null;
  deprecated: boolean | null;
  replaced_by: string | null;
  key_id: number | null;
  key_revoked: boolean | null;
  consumer_id: number | null;
  consumer_name: string | null;
  declared: boolean;
}

// Each lookup is a unique-index probe: assets (kind, name), api_keys (secret_hash),
// dependencies (dependent_id, dependency_id). The outer row always exists, so a miss
// shows as nulls rather than as no row.
const SELECT = `
SELECT a.id AS asset_id, a.access_policy, a.sunset_at::text AS sunset_at,
       a.sunset_at < current_date AS past_sunset, a.deprecation_reason IS NOT NULL AS deprecated, a.replaced_by,
       k.id AS key_id, k.revoked_at IS NOT NULL AS key_revoked, c.id AS consumer_id, c.name AS consumer_name,
       EXISTS (SELECT 1 FROM dependencies d WHERE d.dependent_id = c.id AND d.dependency_id = a.id) AS declared
  FROM (SELECT 1) AS one
  LEFT JOIN assets a ON a.kind = $1 AND a.name = $2`;

const BY_NAME = `${SELECT}
  LEFT JOIN api_keys k ON false
  LEFT JOIN assets c ON c.kind = 'consumer' AND c.name = $3`;

const BY_KEY = `${SELECT}
  LEFT JOIN api_keys k ON k.secret_hash = $3
  LEFT JOIN assets c ON c.id = k.consumer_id`;

/** The serving-path read of the access check. */
export class AccessRepository {
  constructor(private readonly db: DbClient) {}

  async inputs(asset: Ref, who: { consumer: string } | { keyHash: string }): Promise<AccessInputs> {
    const [row] = await this.db.$queryRawUnsafe<RawInputs[]>(
      'keyHash' in who ? BY_KEY : BY_NAME,
      asset.kind,
      asset.name,
      'keyHash' in who ? who.keyHash : who.consumer,
    );
    return {
      assetId: row.asset_id,
      accessPolicy: row.access_policy,
      sunsetAt: row.sunset_at,
      pastSunset: row.past_sunset === true,
      deprecated: row.deprecated === true,
      replacedBy: row.replaced_by,
      keyId: row.key_id,
      keyRevoked: row.key_revoked === true,
      consumerId: row.consumer_id,
      consumerName: row.consumer_name,
      declared: row.declared,
    };
  }
}

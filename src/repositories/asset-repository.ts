import type { Annotations, Asset, Deprecation } from '../domain/asset.js';
import { deprecatedSql } from '../domain/deprecation.js';
import type { CreatedFields, FieldChange } from '../domain/history.js';
import { formatRef, type AccessPolicy, type Kind, type Lifecycle, type Ref, type ValueType } from '../domain/model.js';
import type { Sla } from '../domain/asset-schemas.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Pool, Scope } from './scope.js';

/** One asset with its dependencies, as assetRowsFrom selects it. */
export interface AssetRow {
  id: number;
  kind: string;
  name: string;
  owner: string;
  description: string | null;
  lifecycle: string;
  tags: string[];
  platforms: string[] | null;
  domains: string[] | null;
  valueType: string | null;
  stability: string | null;
  accessPolicy: string | null;
  contact: string | null;
  sla: unknown;
  metadata: unknown;
  deprecationReason: string | null;
  replacedBy: string | null;
  sunsetAt: string | null;
  deprecatedAt: Date | string | null;
  revision: number;
  createdAt: Date | string;
  updatedAt: Date | string;
  dependsOn: {
    pinnedVersion: string | null;
    importance: number | null;
    note: string | null;
    dependency: { kind: string; name: string };
  }[];
}

/**
 * The assets named by $1 (kinds) and $2 (names), one index probe per ref. LIMIT 1 keeps
 * the planner from flattening the lateral subquery into a hash join over every asset,
 * which it prefers whenever its statistics lag behind a bulk load.
 */
const byRefs = (kinds: number, names: number) => `unnest($${kinds}::text[], $${names}::text[]) AS r(kind, name)
  CROSS JOIN LATERAL (SELECT * FROM assets WHERE kind = r.kind AND name = r.name LIMIT 1) AS a`;
const BY_REFS = byRefs(1, 2);

/** The assets whose ids are $param, one primary-key probe each, in the order given (`r.ord`). */
export const byIds = (param: number) => `unnest($${param}::int[]) WITH ORDINALITY AS r(id, ord)
  CROSS JOIN LATERAL (SELECT * FROM assets WHERE id = r.id LIMIT 1) AS a`;

export const RESOLVED_COLUMNS = `a.id, a.kind, a.name, a.lifecycle, a.deprecation_reason, a.replaced_by, a.sunset_at::text AS sunset_at`;

export interface ResolvedRow {
  id: number;
  kind: Kind;
  name: string;
  lifecycle: Lifecycle;
  deprecation_reason: string | null;
  replaced_by: string | null;
  sunset_at: string | null;
}

export const toResolved = (row: ResolvedRow): ResolvedRef => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  lifecycle: row.lifecycle,
  deprecationReason: row.deprecation_reason,
  replacedBy: row.replaced_by,
  sunsetAt: row.sunset_at,
});

/**
 * Assets with their dependencies (AssetRow), in one statement: every read of whole assets
 * uses it, the write path's included. `dependencies` has no foreign keys (see
 * migrations/001), so there is no relation for Prisma to include.
 */
export const assetRowsFrom = (from: string) => `
  SELECT a.id, a.kind, a.name, a.owner, a.description, a.lifecycle, a.tags, a.platforms, a.domains,
         a.value_type AS "valueType", a.stability, a.access_policy AS "accessPolicy", a.contact, a.sla,
         a.metadata, a.deprecation_reason AS "deprecationReason", a.replaced_by AS "replacedBy",
         a.sunset_at::text AS "sunsetAt", a.deprecated_at AS "deprecatedAt", a.revision,
         a.created_at AS "createdAt", a.updated_at AS "updatedAt",
         COALESCE((SELECT jsonb_agg(jsonb_build_object(
                    'pinnedVersion', d.pinned_version, 'importance', d.importance, 'note', d.note,
                    'dependency', jsonb_build_object('kind', b.kind, 'name', b.name)))
                     FROM dependencies d
                    CROSS JOIN LATERAL (SELECT kind, name FROM assets WHERE id = d.dependency_id LIMIT 1) AS b
                    WHERE d.dependent_id = a.id), '[]'::jsonb) AS "dependsOn"
    FROM ${from}`;

const orNullList = (list: string[] | null | undefined): string[] | null => (list && list.length > 0 ? list : null);
// A row read as JSON (the write path's) holds times as text, one read by the driver as Dates.
export const isoTime = (time: Date | string): string => new Date(time).toISOString();

export function toAsset(row: AssetRow): Asset {
  const deprecation: Deprecation | null =
    row.deprecationReason != null && row.deprecatedAt
      ? {
          reason: row.deprecationReason,
          replacedBy: row.replacedBy,
          sunsetAt: row.sunsetAt,
          deprecatedAt: isoTime(row.deprecatedAt),
        }
      : null;
  return {
    id: row.id,
    ref: formatRef({ kind: row.kind as Kind, name: row.name }),
    kind: row.kind as Kind,
    name: row.name,
    owner: row.owner,
    description: row.description,
    lifecycle: row.lifecycle as Lifecycle,
    tags: row.tags,
    platforms: orNullList(row.platforms),
    domains: orNullList(row.domains),
    valueType: row.valueType as ValueType | null,
    stability: row.stability as Annotations['stability'],
    accessPolicy: row.accessPolicy as AccessPolicy | null,
    contact: row.contact,
    sla: (row.sla ?? null),
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    dependsOn: row.dependsOn
      .map((edge) => ({
        ref: formatRef({ kind: edge.dependency.kind as Kind, name: edge.dependency.name }),
        pinnedVersion: edge.pinnedVersion,
        importance: edge.importance,
        note: edge.note,
      }))
      .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)),
    deprecation,
    revision: row.revision,
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
  };
}

/** What a dependency ref resolves to, with what the write rules need to know of it. */
export interface ResolvedRef {
  id: number;
  kind: Kind;
  name: string;
  lifecycle: Lifecycle;
  deprecationReason: string | null;
  replacedBy: string | null;
  sunsetAt: string | null;
}

export interface AssetRecord extends Annotations {
  kind: Kind;
  name: string;
}

export interface EdgeWrite {
  dependencyId: number;
  pinnedVersion: string | null;
  importance: number | null;
  note: string | null;
}

export interface AssetWrite {
  /** The stored asset's id, or for a creation one of the fresh ids `AssetWriter.load` took. */
  id: number;
  existed: boolean;
  /** Whether it carries a deprecation record (which a PUT keeps). */
  deprecated: boolean;
  record: AssetRecord;
  /** The revision it will have: 1, or the stored one + 1 (exact under the write lock). */
  revision: number;
  edges: EdgeWrite[];
  action: 'create' | 'update';
  changes: FieldChange[] | CreatedFields;
}

export interface WrittenAsset {
  id: number;
  kind: Kind;
  name: string;
  revision: number;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface AssetListQuery {
  kinds?: ReadonlySet<Kind>;
  owner?: string;
  lifecycle?: Lifecycle;
  tag?: string;
  q?: string;
  after?: Ref;
  limit: number;
}

/** An asset that is deprecated (or retired), as read-time warnings describe it. */
export interface DeprecatedAsset {
  id: number;
  ref: string;
  lifecycle: Lifecycle;
  reason: string | null;
  replacedBy: string | null;
  sunsetAt: string | null;
}

export interface ConsumerContact {
  id: number;
  contact: string | null;
  sla: Sla | null;
}

/** Persistence of assets and their dependency edges. */
export class AssetRepository {
  constructor(
    private readonly db: Scope,
    private readonly pool: Pick<Pool, 'prisma'>,
  ) {}

  async findByRef(ref: Ref): Promise<Asset | null> {
    const [asset] = await this.findByRefs([ref]);
    return asset ?? null;
  }

  /** The stored assets among `refs`, with their dependencies, in one statement. */
  async findByRefs(refs: Ref[]): Promise<Asset[]> {
    if (refs.length === 0) return [];
    const rows = await this.db.query<AssetRow>(assetRowsFrom(BY_REFS), [refs.map((r) => r.kind), refs.map((r) => r.name)]);
    return rows.map(toAsset);
  }

  /** Resolves refs to ids in one statement; refs that do not exist are simply absent. */
  async resolve(refs: Ref[]): Promise<ResolvedRef[]> {
    if (refs.length === 0) return [];
    const rows = await this.db.query<ResolvedRow>(`SELECT ${RESOLVED_COLUMNS} FROM ${BY_REFS}`, [
      refs.map((r) => r.kind),
      refs.map((r) => r.name),
    ]);
    return rows.map(toResolved);
  }

  /**
   * A page of assets in (kind, name) order. Prisma builds the filtered, keyset-paged query
   * (its typed filters are what it is here for); the page's rows come in one statement.
   */
  async list(query: AssetListQuery): Promise<Asset[]> {
    const where: Prisma.AssetWhereInput = {};
    if (query.kinds) where.kind = { in: [...query.kinds] };
    if (query.owner) where.owner = query.owner;
    if (query.lifecycle) where.lifecycle = query.lifecycle;
    if (query.tag) where.tags = { has: query.tag };
    if (query.q) {
      // Prisma passes `contains` to ILIKE as it is: escape its wildcards (and its escape).
      const q = query.q.replace(/[\\%_]/g, '\\$&');
      where.OR = [
        { name: { contains: q, mode: 'insensitive' } },
        { description: { contains: q, mode: 'insensitive' } },
      ];
    }
    if (query.after) {
      const { kind, name } = query.after;
      where.AND = [{ OR: [{ kind: { gt: kind } }, { kind, name: { gt: name } }] }];
    }
    const page = await this.pool.prisma.asset.findMany({
      where,
      orderBy: [{ kind: 'asc' }, { name: 'asc' }],
      take: query.limit,
      select: { id: true },
    });
    return this.findByIds(page.map((row) => row.id));
  }

  /** The assets with these ids, with their dependencies, in the order of `ids`. */
  async findByIds(ids: readonly number[]): Promise<Asset[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<AssetRow>(`${assetRowsFrom(byIds(1))} ORDER BY r.ord`, [[...ids]]);
    return rows.map(toAsset);
  }

  /** Bumps the revision of assets changed as a side effect (e.g. losing an edge). */
  async touch(ids: number[]): Promise<WrittenAsset[]> {
    if (ids.length === 0) return [];
    return this.db.query<WrittenAsset>(
      `UPDATE assets SET revision = revision + 1, updated_at = now()
        WHERE id = ANY($1::int[]) RETURNING id, kind, name, revision, created_at AS "createdAt", updated_at AS "updatedAt"`,
      [ids],
    );
  }

  /** Which of `ids` are deprecated or retired, with what readers are told about them. */
  async deprecatedAmong(ids: number[]): Promise<DeprecatedAsset[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<{
      id: number;
      kind: Kind;
      name: string;
      lifecycle: Lifecycle;
      reason: string | null;
      replaced_by: string | null;
      sunset_at: string | null;
    }>(
      `SELECT a.id, a.kind, a.name, a.lifecycle, a.deprecation_reason AS reason, a.replaced_by, a.sunset_at::text AS sunset_at
         FROM assets a WHERE a.id = ANY($1::int[]) AND ${deprecatedSql('a')}`,
      [ids],
    );
    return rows.map((row) => ({
      id: row.id,
      ref: formatRef(row),
      lifecycle: row.lifecycle,
      reason: row.reason,
      replacedBy: row.replaced_by,
      sunsetAt: row.sunset_at,
    }));
  }

  /**
   * Sets or clears (null) the deprecation record and the lifecycle, bumping the revision.
   * A record without `deprecatedAt` is a new deprecation, stamped with the transaction time.
   */
  async setDeprecation(
    id: number,
    lifecycle: Lifecycle,
    deprecation: (Omit<Deprecation, 'deprecatedAt'> & { deprecatedAt: string | null }) | null,
  ): Promise<WrittenAsset & { deprecatedAt: string | null }> {
    const [row] = await this.db.query<WrittenAsset & { deprecated_at: Date | null }>(
      `UPDATE assets
          SET lifecycle = $2, deprecation_reason = $3, replaced_by = $4, sunset_at = $5::date,
              deprecated_at = CASE WHEN $3::text IS NULL THEN NULL ELSE COALESCE($6::timestamptz, now()) END,
              revision = revision + 1, updated_at = now()
        WHERE id = $1
        RETURNING id, kind, name, revision, created_at AS "createdAt", updated_at AS "updatedAt", deprecated_at`,
      [
        id,
        lifecycle,
        deprecation?.reason ?? null,
        deprecation?.replacedBy ?? null,
        deprecation?.sunsetAt ?? null,
        deprecation?.deprecatedAt ?? null,
      ],
    );
    const { deprecated_at, ...written } = row;
    return { ...written, deprecatedAt: deprecated_at ? isoTime(deprecated_at) : null };
  }

  /**
   * Deletes the asset and every edge to or from it (there are no cascading keys); the
   * caller names its dependents, as the table has no index by dependency.
   */
  async delete(id: number, dependents: readonly number[]): Promise<void> {
    // Both arms of the OR lead with dependent_id: the primary key answers each.
    await this.db.query(
      `DELETE FROM dependencies
        WHERE dependent_id = $1 OR (dependent_id = ANY($2::int[]) AND dependency_id = $1)`,
      [id, [...dependents]],
    );
    await this.db.query('DELETE FROM assets WHERE id = $1', [id]);
  }

  /** Contact and SLA of the given consumers. Raw SQL: this sits on the /consumers hot path. */
  async consumerContacts(ids: number[]): Promise<Map<number, ConsumerContact>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ id: number; contact: string | null; sla: Sla | null }>(
      'SELECT id, contact, sla FROM assets WHERE id = ANY($1::int[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, { id: row.id, contact: row.contact, sla: row.sla ?? null }]));
  }
}

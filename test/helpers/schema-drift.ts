/**
 * Compares what prisma/schema.prisma declares with what the SQL migrations built, read
 * from pg_catalog: tables, columns (type, nullability, whether there is a default),
 * primary keys, unique constraints, foreign keys with their delete rules, and plain
 * indexes. Only the subset of the Prisma schema language that this project uses is
 * parsed; anything else makes the parser throw rather than be skipped.
 */
import type { SqlRunner } from '../../src/db/database.js';

export interface PrismaField {
  name: string;
  column: string;
  type: string;
  list: boolean;
  optional: boolean;
  attributes: string;
}

export interface PrismaRelation {
  fields: string[];
  target: string;
  references: string[];
  optional: boolean;
  onDelete: string | null;
}

export interface PrismaModel {
  name: string;
  table: string;
  fields: PrismaField[];
  relations: PrismaRelation[];
  /** Block attributes, e.g. `@@id([a, b])`. */
  blocks: string[];
}

/** The text inside the parentheses that open at `open`, nesting respected. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in ${text}`);
}

/** The arguments of attribute `@name(...)` (or `@@name(...)`) in `text`, or null if absent. */
function attributeArgs(text: string, name: string): string | null {
  const match = new RegExp(`@${name.replace('.', '\\.')}(?![\\w.])`).exec(text);
  if (!match) return null;
  const after = match.index + match[0].length;
  return text[after] === '(' ? balanced(text, after) : '';
}

const listArg = (args: string, key: string | null): string[] => {
  const match = key ? new RegExp(`${key}:\\s*\\[([^\\]]*)\\]`).exec(args) : /^\s*\[([^\]]*)\]/.exec(args);
  if (!match) return [];
  return match[1]
    .split(',')
    .map((part) => part.trim().replace(/\(.*\)$/, ''))
    .filter(Boolean);
};

const namedArg = (args: string, key: string): string | null => new RegExp(`${key}:\\s*"?(\\w+)"?`).exec(args)?.[1] ?? null;

export function parsePrismaSchema(text: string): PrismaModel[] {
  const source = text.replace(/\/\/.*$/gm, '');
  const names = [...source.matchAll(/^model\s+(\w+)\s*\{/gm)].map((m) => m[1]);
  const models: PrismaModel[] = [];
  for (const match of source.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, name, body] = match;
    const model: PrismaModel = { name, table: name, fields: [], relations: [], blocks: [] };
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        model.blocks.push(line);
        const map = attributeArgs(line, '@map');
        if (map !== null) model.table = JSON.parse(map);
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read the line "${line}" of model ${name}`);
      const [, fieldName, type, list, optional, attributes] = field;
      if (names.includes(type)) {
        const args = attributeArgs(attributes, 'relation');
        const fields = args === null ? [] : listArg(args, 'fields');
        // A relation without `fields` is the other side of one declared elsewhere.
        if (fields.length > 0)
          model.relations.push({
            fields,
            target: type,
            references: listArg(args!, 'references'),
            optional: Boolean(optional),
            onDelete: namedArg(args!, 'onDelete'),
          });
        continue;
      }
      const map = attributeArgs(attributes, 'map');
      model.fields.push({
        name: fieldName,
        column: map === null ? fieldName : JSON.parse(map),
        type,
        list: Boolean(list),
        optional: Boolean(optional),
        attributes,
      });
    }
    models.push(model);
  }
  return models;
}

/** The column type PostgreSQL reports (format_type, precision dropped) for a Prisma field. */
function expectedType(field: PrismaField): string {
  const db = /@db\.(\w+)/.exec(field.attributes)?.[1];
  const scalar: Record<string, string> = {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Float: 'double precision',
    Boolean: 'boolean',
    Decimal: 'numeric',
    Json: db === 'Json' ? 'json' : 'jsonb',
    DateTime: db === 'Date' ? 'date' : db === 'Timestamptz' ? 'timestamp with time zone' : 'timestamp without time zone',
  };
  const base = scalar[field.type];
  if (!base) throw new Error(`no PostgreSQL type known for ${field.type}`);
  return field.list ? `${base}[]` : base;
}

// pg_constraint.confdeltype, and Prisma's defaults when onDelete is not given.
const DELETE_RULES: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

interface DbColumn {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  has_default: boolean;
}

interface DbConstraint {
  name: string;
  kind: 'p' | 'u' | 'f';
  table: string;
  columns: string[];
  ref_table: string | null;
  ref_columns: string[] | null;
  on_delete: string;
}

interface DbIndex {
  name: string;
  table: string;
  method: string;
  columns: string[];
}

const COLUMNS_NAMED = (rel: string, keys: string) => `ARRAY(
  SELECT a.attname::text FROM unnest(${keys}) WITH ORDINALITY AS k(num, ord)
    JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.num ORDER BY k.ord)`;

/** The schema as the migrated database has it, from pg_catalog; the migrator's own table left out. */
export async function readDatabaseSchema(query: SqlRunner) {
  const ours = `n.nspname = 'public' AND c.relname <> 'schema_migrations'`;
  const columns = await query<DbColumn>(
    `SELECT c.relname::text AS table, a.attname::text AS column,
            regexp_replace(format_type(a.atttypid, a.atttypmod), '\\(\\d+\\)', '') AS type,
            NOT a.attnotnull AS nullable, (a.atthasdef OR a.attidentity <> '') AS has_default
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${ours} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  const constraints = await query<DbConstraint>(
    `SELECT con.conname::text AS name, con.contype::text AS kind, c.relname::text AS table,
            ${COLUMNS_NAMED('con.conrelid', 'con.conkey')} AS columns,
            f.relname::text AS ref_table,
            CASE WHEN con.contype = 'f' THEN ${COLUMNS_NAMED('con.confrelid', 'con.confkey')} END AS ref_columns,
            con.confdeltype::text AS on_delete
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class f ON f.oid = con.confrelid
      WHERE ${ours} AND con.contype IN ('p', 'u', 'f')`,
  );
  // Plain indexes only: not backing a constraint, no WHERE, no expressions (Prisma can say neither).
  const indexes = await query<DbIndex>(
    `SELECT i.relname::text AS name, c.relname::text AS table, am.amname::text AS method,
            ${COLUMNS_NAMED('x.indrelid', 'x.indkey::int2[]')} AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = i.relam
      WHERE ${ours} AND x.indpred IS NULL AND x.indexprs IS NULL
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)`,
  );
  return { columns, constraints, indexes };
}

/** Every disagreement between the Prisma schema and the database, one sentence each; [] when none. */
export function schemaDifferences(models: PrismaModel[], db: Awaited<ReturnType<typeof readDatabaseSchema>>): string[] {
  const differences: string[] = [];
  const compareSets = (what: string, declared: string[], actual: string[]) => {
    for (const item of declared) if (!actual.includes(item)) differences.push(`${what}: ${item}: in schema.prisma, not in the database`);
    for (const item of actual) if (!declared.includes(item)) differences.push(`${what}: ${item}: in the database, not in schema.prisma`);
  };
  const byName = new Map(models.map((m) => [m.name, m]));
  const columnOf = (model: PrismaModel, field: string) => model.fields.find((f) => f.name === field)?.column ?? `?${field}`;
  const list = (columns: string[]) => `(${columns.join(', ')})`;

  compareSets('table', models.map((m) => m.table), [...new Set(db.columns.map((c) => c.table))]);
  for (const model of models) {
    const actual = db.columns.filter((c) => c.table === model.table);
    compareSets(`column of ${model.table}`, model.fields.map((f) => f.column), actual.map((c) => c.column));
    for (const field of model.fields) {
      const column = actual.find((c) => c.column === field.column);
      if (!column) continue;
      const where = `${model.table}.${field.column}`;
      const type = expectedType(field);
      if (column.type !== type) differences.push(`${where}: schema.prisma says ${type}, the database ${column.type}`);
      // A Prisma list cannot be optional, whatever the column allows.
      if (!field.list && column.nullable !== field.optional)
        differences.push(`${where}: schema.prisma says ${field.optional ? 'nullable' : 'NOT NULL'}, the database ${column.nullable ? 'nullable' : 'NOT NULL'}`);
      const declaredDefault = field.attributes.includes('@default(');
      if (column.has_default !== declaredDefault)
        differences.push(`${where}: schema.prisma ${declaredDefault ? 'gives' : 'gives no'} default, the database ${column.has_default ? 'has one' : 'has none'}`);
    }

    const constraints = db.constraints.filter((c) => c.table === model.table);
    const blockList = (attribute: string) =>
      model.blocks.flatMap((b) => {
        const args = attributeArgs(b, `@${attribute}`);
        return args === null ? [] : [listArg(args, null).map((f) => columnOf(model, f))];
      });
    const primary = [...model.fields.filter((f) => /@id\b/.test(f.attributes)).map((f) => [f.column]), ...blockList('id')];
    compareSets(`primary key of ${model.table}`, primary.map(list), constraints.filter((c) => c.kind === 'p').map((c) => list(c.columns)));
    const unique = [...model.fields.filter((f) => /@unique\b/.test(f.attributes)).map((f) => [f.column]), ...blockList('unique')];
    compareSets(`unique key of ${model.table}`, unique.map(list), constraints.filter((c) => c.kind === 'u').map((c) => list(c.columns)));

    const foreign = model.relations.map((r) => {
      const target = byName.get(r.target)!;
      const rule = r.onDelete ?? (r.optional ? 'SetNull' : 'Restrict');
      return `${list(r.fields.map((f) => columnOf(model, f)))} -> ${target.table}${list(r.references.map((f) => columnOf(target, f)))} on delete ${rule}`;
    });
    compareSets(
      `foreign key of ${model.table}`,
      foreign,
      constraints
        .filter((c) => c.kind === 'f')
        .map((c) => `${list(c.columns)} -> ${c.ref_table}${list(c.ref_columns ?? [])} on delete ${DELETE_RULES[c.on_delete]}`),
    );

    const indexes = model.blocks.flatMap((b) => {
      const args = attributeArgs(b, '@index');
      if (args === null) return [];
      const method = (namedArg(args, 'type') ?? 'btree').toLowerCase();
      return [`${namedArg(args, 'map') ?? '?'} ${method} ${list(listArg(args, null).map((f) => columnOf(model, f)))}`];
    });
    compareSets(
      `index on ${model.table}`,
      indexes,
      db.indexes.filter((i) => i.table === model.table).map((i) => `${i.name} ${i.method} ${list(i.columns)}`),
    );
  }
  return differences;
}

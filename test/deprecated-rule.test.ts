import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deprecatedSql, isDeprecated } from '../src/domain/deprecation.js';
import { LIFECYCLES } from '../src/domain/model.js';
import { SERVER_URL } from './helpers/database.js';

// "Deprecated" is one rule written twice, for TypeScript and for SQL: they must agree.
describe('the deprecated rule', () => {
  const client = new pg.Client({ connectionString: SERVER_URL });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  const cases = LIFECYCLES.flatMap((lifecycle) => [false, true].map((recorded) => ({ lifecycle, recorded })));

  it.each(cases)('$lifecycle, recorded deprecation $recorded: the same answer in TypeScript and SQL', async ({ lifecycle, recorded }) => {
    const { rows } = await client.query(
      `SELECT ${deprecatedSql('x')} AS deprecated
         FROM (VALUES ($1::text, CASE WHEN $2::boolean THEN now() END)) AS x(lifecycle, deprecated_at)`,
      [lifecycle, recorded],
    );
    expect(rows[0].deprecated).toBe(isDeprecated(lifecycle, recorded));
  });

  it('counts deprecated and retired lifecycles, and any recorded deprecation', () => {
    expect(cases.filter((c) => isDeprecated(c.lifecycle, c.recorded)).length).toBe(6);
    expect(isDeprecated('production')).toBe(false);
    expect(isDeprecated('retired')).toBe(true);
    expect(isDeprecated('experimental', true)).toBe(true);
  });
});

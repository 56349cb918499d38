import pg from 'pg';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

/** A token as POST /v1/tokens answers it, secret included. */
export interface Issued {
  id: number;
  name: string;
  team: string | null;
  consumer: string | null;
  scopes: string[];
  prefix: string;
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** Issues a token with the admin token of `t`; fails the test unless it is a 201. */
export async function issueToken(
  t: TestApp,
  body: { name: string; team?: string; consumer?: string; scopes: string[]; expiresAt?: string | null },
): Promise<Issued> {
  const res = await t.http.post('/v1/tokens').send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Issued;
}

/** The header that sends `secret`. */
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Every row of a table of the test's database, read past the app. */
export async function rowsOf(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

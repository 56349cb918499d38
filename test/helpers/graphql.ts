import type { TestApp } from './test-app.js';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** POSTs one operation to /graphql through the real app. */
export async function gql<T = any>(
  t: TestApp,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await t.http.post('/graphql').set(headers).send({ query, variables });
  return { status: res.status, ...res.body };
}

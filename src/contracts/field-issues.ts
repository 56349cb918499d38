import type { FieldIssue } from '../domain/errors.js';

/** A zod issue, or one of fastify's validation errors carried in the same shape. */
export interface RawIssue {
  path?: PropertyKey[];
  message: string;
  code?: string;
  errors?: RawIssue[][];
  input?: unknown;
  expected?: string;
}

const formatPath = (path: PropertyKey[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');

/**
 * A union's error lists every branch's issues; report the branch the input was meant for:
 * the one that got past the type check at the union's own path.
 */
function flatten(issue: RawIssue, basePath: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...basePath, ...(issue.path ?? [])];
  if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) {
    const branch =
      issue.errors.find((branchIssues) =>
        branchIssues.every((i) => !(i.code === 'invalid_type' && (i.path ?? []).length === 0)),
      ) ?? issue.errors[0];
    return branch.flatMap((i) => flatten(i, path));
  }
  if (issue.code === 'unrecognized_keys' && 'keys' in issue) {
    return (issue as RawIssue & { keys: string[] }).keys.map((key) => ({
      path: [...path, key],
      message: 'is not a known field',
    }));
  }
  return [{ path, message: issue.message }];
}

/**
 * Turns zod issues, however nested, into one issue per offending field: REST's 400
 * details and GraphQL's `extensions.issues` name fields the same way.
 */
export function toFieldIssues(issues: RawIssue[], location: FieldIssue['in']): FieldIssue[] {
  return issues.flatMap((issue) => flatten(issue, [])).map(({ path, message }) => ({
    in: location,
    field: formatPath(path) || location,
    message,
  }));
}

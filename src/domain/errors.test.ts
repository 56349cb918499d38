import { describe, expect, it } from 'vitest';
import { InputError, listIssues } from './errors.js';

describe('InputError.mapIssues', () => {
  const issues = [
    { in: 'body' as const, field: 'owner', message: 'is required' },
    { in: 'body' as const, field: 'dependsOn[0]', message: 'source:x does not exist' },
  ];
  const under = (error: InputError) => error.mapIssues((i) => ({ ...i, field: `input.${i.field}` }));

  it('lists the rewritten issues anew when the message listed them', () => {
    const error = under(new InputError(listIssues(issues), issues));
    expect(error.message).toBe('input.owner: is required; input.dependsOn[0]: source:x does not exist');
    expect(error.issues.map((i) => i.field)).toEqual(['input.owner', 'input.dependsOn[0]']);
  });

  it('keeps a summary that does not list them', () => {
    const error = under(new InputError('dependsOn names 1 asset that do not exist', issues.slice(1)));
    expect(error.message).toBe('dependsOn names 1 asset that do not exist');
    expect(error.issues[0].field).toBe('input.dependsOn[0]');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The two adapters share src/contracts/ and the services, never each other: a REST
 * module imported by a resolver (or the reverse) is how they drift apart. Read off the
 * source, so a new import that crosses the line fails here.
 */
const src = resolve(import.meta.dirname, '../src');

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : [],
  );
}

/** Every module a file imports (statically, dynamically or re-exported), as a path under src/. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(src, resolve(dirname(file), s)));
}

const offending = (folder: string, forbidden: string[]) =>
  filesUnder(join(src, folder)).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${relative(src, file)} imports ${target}`),
  );

describe('adapter boundaries', () => {
  it('sees imports of every form, so the checks below can fail', () => {
    const file = join(src, 'graphql/example.ts');
    const text = `import { a } from '../http/cursor.js';\nexport * from "../http/schemas.js";\nconst m = await import('../contracts/paging.js');\nimport type { B } from 'zod';`;
    expect(importsOf(file, text)).toEqual(['http/cursor.js', 'http/schemas.js', 'contracts/paging.js']);
  });

  it('GraphQL imports nothing from REST', () => {
    expect(offending('graphql', ['http'])).toEqual([]);
  });

  it('REST imports nothing from GraphQL', () => {
    expect(offending('http', ['graphql'])).toEqual([]);
  });

  it('the shared contracts belong to neither adapter', () => {
    expect(offending('contracts', ['http', 'graphql'])).toEqual([]);
  });

  it('services and the domain know no adapter and no contract', () => {
    for (const folder of ['services', 'domain'])
      expect(offending(folder, ['http', 'graphql', 'contracts'])).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config.js';

const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
/** `NAME=value` lines, and `# NAME=value` for those with no default. */
const listed = new Map(
  [...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name, value] as const),
);

describe('configuration', () => {
  it('.env.example lists every variable the config reads, with its default', () => {
    for (const name of CONFIG_VARIABLES) expect(listed.has(name), `${name} in .env.example`).toBe(true);
    const defaults = loadConfig({});
    for (const name of CONFIG_VARIABLES) {
      if (example.includes(`\n# ${name}=`)) continue; // no default: shown commented out
      expect(loadConfig({ [name]: listed.get(name) }), `${name}=${listed.get(name)} is the default`).toEqual(defaults);
    }
  });

  it('names the variable a bad value comes from', () => {
    expect(() => loadConfig({ DEPCAT_IMPORT_CHUNK: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEPCAT_IMPORT_CHUNK: '0' })).toThrow(/DEPCAT_IMPORT_CHUNK/);
  });
});

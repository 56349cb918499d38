import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../src/db/data-dir-lock.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'depcat-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has just exited: nothing runs under it now. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('the embedded data folder lock', () => {
  it('is held by one opener at a time, and free again once released', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.pid} on `));
    release();
    expect(existsSync(join(dir, 'depcat.lock'))).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over a lock whose holder no longer runs on this host (a killed process)', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'depcat.lock'), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    release();
  });

  it('takes over an empty lock file, and refuses one held by a process on another host', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'depcat.lock'), '');
    lockDataDir(dir)();
    writeFileSync(join(dir, 'depcat.lock'), JSON.stringify({ pid: 1, host: `not-${hostname()}` }));
    expect(() => lockDataDir(dir)).toThrow(/in use by process 1 on not-/);
  });
});

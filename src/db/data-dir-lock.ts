import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The embedded database's folder is already open in another process. */
export class DataDirLockedError extends Error {}

interface Holder {
  pid: number;
  host: string;
}

const LOCK_FILE = 'depcat.lock';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readHolder(path: string): Holder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host } : null;
  } catch {
    return null;
  }
}

/**
 * Takes the embedded database's folder for this process alone. PGlite keeps the whole
 * database in one process's memory and writes its files back on its own schedule: two
 * processes on one folder each see only their own writes, and whichever writes last
 * wins. The lock is a file created exclusively (`wx`) naming the holder's host and pid;
 * a holder that no longer runs on this host (killed, say) left a stale lock, which is
 * taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        const holder = readHolder(path);
        if (holder?.pid === me.pid && holder.host === me.host) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    // A lock file without a readable holder is one whose writer died between creating and
    // writing it: as stale as a dead pid.
    const stale = !holder || (holder.host === me.host && holder.pid !== me.pid && !isAlive(holder.pid));
    if (!stale)
      throw new DataDirLockedError(
        `the embedded database in ${dataDir} is in use by process ${holder.pid} on ${holder.host}; ` +
          'stop it first, or give this process another DEPCAT_DATA_DIR (or a DATABASE_URL). ' +
          `If no such process runs, delete ${path}.`,
      );
    rmSync(path, { force: true });
  }
  throw new DataDirLockedError(`could not take the lock ${path}: another process keeps taking it`);
}

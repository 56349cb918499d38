import v8 from 'node:v8';
import vm from 'node:vm';

/** Writes at least this many assets at once (an import, a start-up snapshot) before collecting. */
export const COLLECT_AFTER_ASSETS = 100_000;

/** The second collection waits this long for the first one's concurrent sweeping. */
const SECOND_COLLECTION_MS = 1000;

let collect: (() => void) | null = null;
let scheduled = false;

/**
 * Runs two full garbage collections once the current work has returned, a second apart.
 * V8 collects its old generation when the heap grows, not when the process goes idle:
 * after a bulk import the import's garbage (most of a gigabyte for a million assets)
 * would stay resident until the heap next grew. The first collection frees the garbage,
 * the second compacts what is left and returns the empty pages: measured after a
 * million-asset import, the resident set goes from 1.5–2 GB to about 1 GB, for two pauses
 * of about 0.6 s after the answer has been sent.
 *
 * `gc` is V8's own, taken from a fresh context once the flag that exposes it is set; the
 * process's global scope does not get it.
 */
export function collectGarbageSoon(): void {
  if (scheduled) return;
  scheduled = true;
  collect ??= (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  })();
  setTimeout(() => {
    collect!();
    setTimeout(() => {
      scheduled = false;
      collect!();
    }, SECOND_COLLECTION_MS).unref();
  }, 0).unref();
}

/**
 * Input PostgreSQL cannot store, found before it gets there. A NUL character is refused
 * in text and jsonb (22021), a lone UTF-16 surrogate in jsonb (22P02), and a statement
 * batched with others (access checks are) would fail all of them; JSON nested without
 * bound overflows the stack of whatever walks it recursively later. Every adapter runs
 * this once on what it received: REST on the body, query and path, GraphQL on each
 * field's arguments, the import on each line.
 */

/**
 * How deeply objects and arrays may nest in one input, the input itself being level 1.
 * Our own schemas go five deep (a dependency of an item of a batch); the rest is room
 * for `metadata`, the user's own JSON.
 */
export const MAX_NESTING = 64;

export interface BadText {
  /** Where it is, as zod paths are: keys and array indexes from the root. */
  path: (string | number)[];
  message: string;
}

const NUL = '\u0000';
// Either of them, for one quick scan of clean text. NUL is the very character looked for.
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\ud800-\udfff]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with the text, as a noun, or undefined. */
function textProblem(text: string): string | undefined {
  if (!SUSPECT.test(text)) return undefined;
  if (text.includes(NUL)) return 'the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone UTF-16 surrogate (such as \\ud800), which is not Unicode text';
  return undefined;
}

/** An object or array to look into, and how it was reached: paths are built only for a finding. */
interface Container {
  value: object;
  key: string | number;
  parent: Container | undefined;
  level: number;
}

function pathTo(container: Container, key?: string | number): (string | number)[] {
  const path: (string | number)[] = key === undefined ? [] : [key];
  for (let at: Container | undefined = container; at?.parent; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * A string (or object key) with a NUL character or a lone surrogate, or an object or
 * array nested deeper than `maxNesting`; undefined when the value is clean. Containers are
 * visited in document order, each one's own strings before what it contains. Iterative,
 * so hostile nesting cannot overflow it; a bad key is reported at its object, so the
 * message never echoes it. Clean text costs one regular-expression scan.
 */
export function findBadText(value: unknown, maxNesting = MAX_NESTING): BadText | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path: [], message: `must not contain ${problem}` } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Container[] = [{ value, key: '', parent: undefined, level: 1 }];
  while (stack.length > 0) {
    const container = stack.pop()!;
    if (container.level > maxNesting) return { path: pathTo(container), message: `nests objects and arrays deeper than ${maxNesting} levels` };
    const inner: Container[] = [];
    const { value: current } = container;
    const keys = Array.isArray(current) ? undefined : Object.keys(current);
    const length = keys ? keys.length : (current as unknown[]).length;
    for (let i = 0; i < length; i++) {
      const key = keys ? keys[i] : i;
      if (keys) {
        const problem = textProblem(key as string);
        if (problem) return { path: pathTo(container), message: `has a key containing ${problem}` };
      }
      const item = (current as Record<string | number, unknown>)[key];
      if (typeof item === 'string') {
        const problem = textProblem(item);
        if (problem) return { path: pathTo(container, key), message: `must not contain ${problem}` };
      } else if (item !== null && typeof item === 'object') inner.push({ value: item, key, parent: container, level: container.level + 1 });
    }
    // Pushed last to first, so the first is looked into first.
    for (let i = inner.length - 1; i >= 0; i--) stack.push(inner[i]);
  }
  return undefined;
}

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
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with the text, as a noun, or undefined. */
function textProblem(text: string): string | undefined {
  if (text.includes(NUL)) return 'the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone UTF-16 surrogate (such as \\ud800), which is not Unicode text';
  return undefined;
}

/**
 * The first string (or object key) with a NUL character or a lone surrogate, or the first
 * object or array nested deeper than `maxNesting`, in document order; undefined when the
 * value is clean. Iterative, so hostile nesting cannot overflow it; a bad key is reported
 * at its object, so the message never echoes it.
 */
export function findBadText(value: unknown, maxNesting = MAX_NESTING): BadText | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) return { path, message: `must not contain ${problem}` };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const containers = path.length + 1;
    if (containers > maxNesting) return { path, message: `nests objects and arrays deeper than ${maxNesting} levels` };
    const children: { value: unknown; path: (string | number)[] }[] = [];
    if (Array.isArray(current)) current.forEach((item, index) => children.push({ value: item, path: [...path, index] }));
    else
      for (const [key, item] of Object.entries(current)) {
        const problem = textProblem(key);
        if (problem) return { path, message: `has a key containing ${problem}` };
        children.push({ value: item, path: [...path, key] });
      }
    // Pushed last to first, so the first child is looked at first.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return undefined;
}

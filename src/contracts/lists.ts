import { z } from 'zod';

/**
 * A filter over several values. REST spells it in the singular with a comma-separated
 * list (`kind=feature,model`, one value being the one-item list); GraphQL has lists, so
 * its argument is plural (`kinds: [feature, model]`). Both parse to the same set, and
 * the service never sees which adapter it came from.
 */
export const commaListSchema = <T extends string>(allowed: readonly T[]) =>
  z.string().transform((text, ctx) => {
    const values = text.split(',').map((v) => v.trim()).filter(Boolean);
    if (values.length === 0 || values.some((v) => !(allowed as readonly string[]).includes(v))) {
      ctx.addIssue({ code: 'custom', message: `must be one or more of ${allowed.join(', ')}, comma-separated` });
      return z.NEVER;
    }
    return new Set(values as T[]);
  });

/** GraphQL's spelling of the same filter: a non-empty list of values, as a set. */
export const listSetSchema = <T extends z.ZodType<string>>(item: T, what: string) =>
  z
    .array(item)
    .min(1, { error: `must list at least one ${what}` })
    .transform((values) => new Set(values) as ReadonlySet<z.output<T>>);

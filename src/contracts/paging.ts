import { z } from 'zod';
import type { Page } from '../domain/page.js';
import { findBadText } from '../domain/text-guard.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** REST's `limit` and GraphQL's `first`: one page size for every list. */
const LIMIT_RULE = `must be a whole number from 1 to ${MAX_LIMIT}`;

export const limitSchema = z.coerce
  .number({ error: LIMIT_RULE })
  .int({ error: LIMIT_RULE })
  .min(1, { error: LIMIT_RULE })
  .max(MAX_LIMIT, { error: LIMIT_RULE })
  .default(DEFAULT_LIMIT)
  .describe(`page size, 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}`);

/**
 * Opaque pagination cursors: base64url JSON of the position a service's page gave.
 * Clients pass back what they were given; anything else is a 400 naming the cursor.
 */
export const encodeCursor = (position: unknown): string => Buffer.from(JSON.stringify(position)).toString('base64url');

/** The cursor of a page's next position, or null on the last page. */
export const cursorOf = (position: unknown): string | null => (position == null ? null : encodeCursor(position));

/** A service's page (or report with a `nextCursor` position) as both adapters send it. */
export const withEncodedCursor = <P extends Pick<Page<unknown>, 'nextCursor'>>(
  page: P,
): Omit<P, 'nextCursor'> & { nextCursor: string | null } => ({ ...page, nextCursor: cursorOf(page.nextCursor) });

/**
 * Decodes a cursor into the position `shape` describes. The position goes to the
 * database as it is (an identity, a name), so text no endpoint could have issued (a NUL,
 * a lone surrogate) is refused here like any other forged cursor.
 */
export function cursorSchema<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(2000)
    .transform((text, ctx) => {
      try {
        const position: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
        const parsed = findBadText(position) ? undefined : shape.safeParse(position);
        if (parsed?.success) return parsed.data;
      } catch {
        // fall through to the issue below
      }
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this endpoint issued' });
      return z.NEVER;
    })
    .describe('the nextCursor of the previous page');
}

/** History and notifications continue after the id of the last item shown. */
export const idCursor = cursorSchema(z.object({ id: z.number().int().min(1) }));

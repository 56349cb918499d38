import { z } from 'zod';

/**
 * Opaque pagination cursors: base64url JSON of a keyset position. Clients pass back
 * what they were given; anything else is a 400 naming `cursor`.
 */
export const encodeCursor = (position: unknown): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

export function cursorSchema<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(2000)
    .transform((text, ctx) => {
      try {
        const parsed = shape.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
        if (parsed.success) return parsed.data;
      } catch {
        // fall through to the issue below
      }
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this endpoint issued' });
      return z.NEVER;
    })
    .describe('the nextCursor of the previous page');
}

import { z } from 'zod';

// REST's own answers; requests and answers shared with GraphQL are in src/contracts/.

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    /** The request's id, as in the `x-request-id` header and the server's log lines. */
    requestId: z.string(),
  }),
});

/** What any route behind a token may answer besides its own statuses. */
export const authErrors = { 401: errorResponseSchema, 403: errorResponseSchema, 429: errorResponseSchema };

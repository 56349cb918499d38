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

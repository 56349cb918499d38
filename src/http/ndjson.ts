import type { Readable } from 'node:stream';
import type { SwaggerTransformObject } from '@fastify/swagger';
import { z } from 'zod';
import { toFieldIssues } from '../contracts/field-issues.js';
import { assetItemSchema } from '../domain/asset-schemas.js';
import { InputError, type FieldIssue } from '../domain/errors.js';
import { findBadText } from '../domain/text-guard.js';
import { IMPORT_ISSUES_LISTED, writeItem, type WriteItem } from '../services/assets/asset-service.js';
import { RequestTimeoutError } from './request-guards.js';

/** The longest line taken: an asset with ten thousand dependencies fits. */
export const IMPORT_MAX_LINE = 4 * 1024 * 1024;

export interface ImportLimits {
  /** How long the import may send nothing while it is waited for. */
  idleMs: number;
  /** How long it may take from its first read to its last line. */
  maxMs: number;
}

/**
 * The next piece of the body, or a 408 when it is slow to come. An import holds the graph
 * write lock, so a client that stalls or trickles would hold up every other write: it is
 * aborted instead, and its transaction rolled back. The idle clock runs only while the
 * import waits for its client, not while it stores (the client then waits on TCP).
 */
async function nextPiece(pieces: AsyncIterator<string>, limits: ImportLimits, deadline: number): Promise<IteratorResult<string>> {
  const left = deadline - Date.now();
  const [wait, reason] =
    left < limits.idleMs
      ? [left, `the import did not end within ${limits.maxMs} ms`]
      : [limits.idleMs, `the import sent nothing for ${limits.idleMs} ms`];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeoutError(`${reason}; it was aborted and nothing was stored`)), Math.max(0, wait));
  });
  try {
    // race() handles a read that fails after the timeout (its socket closing).
    return await Promise.race([pieces.next(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads an NDJSON body (one asset per line, blank lines ignored) into chunks of validated
 * write items, lazily: each chunk is read only when asked for. Lines are numbered from 1,
 * as editors show them, and errors name them: `lines[7].owner`. A chunk with any invalid
 * line ends the import with a 400 listing that chunk's issues; a client that stalls or
 * runs past `limits` ends it with a 408.
 */
export async function* importChunks(body: Readable, size: number, limits: ImportLimits): AsyncGenerator<WriteItem[]> {
  let chunk: WriteItem[] = [];
  const issues: FieldIssue[] = [];
  let number = 0;
  let any = false;
  const flush = () => {
    if (issues.length > 0)
      throw new InputError(
        issues
          .slice(0, 5)
          .map((i) => `${i.field}: ${i.message}`)
          .join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : ''),
        issues.slice(0, IMPORT_ISSUES_LISTED),
      );
    const full = chunk;
    chunk = [];
    return full;
  };
  const take = (line: string) => {
    number++;
    if (line.trim() === '') return;
    any = true;
    const prefix = `lines[${number}]`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      issues.push({ in: 'body', field: prefix, message: 'is not a JSON object' });
      return;
    }
    const bad = findBadText(value);
    const parsed = bad ? undefined : assetItemSchema.safeParse(value);
    if (!parsed?.success) {
      for (const issue of toFieldIssues(bad ? [bad] : parsed!.error.issues, 'body'))
        issues.push({ ...issue, field: issue.field === 'body' ? prefix : `${prefix}.${issue.field}` });
      return;
    }
    // The item is its own body: the extra `ref` is never read from it, and a copy without
    // it would cost an object per line.
    chunk.push(writeItem(parsed.data.ref, parsed.data, prefix));
  };
  // The stream is read only as fast as chunks are asked for, so a client sending faster
  // than the database stores waits on TCP rather than filling this process's memory.
  body.setEncoding('utf8');
  // Never returned, so never destroyed here: the answer is still to be sent on its socket.
  const pieces = body[Symbol.asyncIterator]() as AsyncIterator<string>;
  const deadline = Date.now() + limits.maxMs;
  let rest = '';
  for (let next = await nextPiece(pieces, limits, deadline); !next.done; next = await nextPiece(pieces, limits, deadline)) {
    const data = next.value;
    let start = 0;
    for (let end = data.indexOf('\n'); end >= 0; end = data.indexOf('\n', start)) {
      const line = rest + data.slice(start, end);
      rest = '';
      take(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = end + 1;
      if (chunk.length >= size) yield flush();
    }
    rest += data.slice(start);
    if (rest.length > IMPORT_MAX_LINE) throw InputError.field(`lines[${number + 1}]`, `is longer than ${IMPORT_MAX_LINE} characters`);
    if (issues.length > 0) flush();
  }
  if (rest !== '') take(rest);
  const last = flush();
  if (last.length > 0) yield last;
  else if (!any) throw InputError.field('body', 'must list at least one asset, one JSON object per line');
}

/**
 * The import's body in the OpenAPI document. A `body` in the route's schema would have the
 * zod validator read the stream, so the body is described in the generated document.
 */
export const documentImportBody: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const post = document.openapiObject.paths?.['/v1/import']?.post;
  if (post)
    post.requestBody = {
      required: true,
      description: 'One asset per line, each as an item of `POST /v1/batch`; blank lines are skipped.',
      content: {
        'application/x-ndjson': {
          schema: z.toJSONSchema(assetItemSchema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as object,
        },
      },
    };
  return document.openapiObject;
};

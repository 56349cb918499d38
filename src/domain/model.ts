import { z } from 'zod';

export const KINDS = ['source', 'feature', 'model', 'consumer'] as const;
export type Kind = (typeof KINDS)[number];

export const LIFECYCLES = ['experimental', 'production', 'deprecated', 'retired'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const VALUE_TYPES = [
  'probability',
  'log_odds',
  'count',
  'ratio',
  'category',
  'embedding',
  'boolean',
  'score',
  'threshold',
  'other',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const STABILITIES = ['stable', 'volatile'] as const;
export const ACCESS_POLICIES = ['open', 'warn', 'enforce'] as const;
export type AccessPolicy = (typeof ACCESS_POLICIES)[number];

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const NAME_RULE =
  'must start with a letter or digit, followed by at most 199 letters, digits, "_", "." or "-" (^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$)';
const KIND_RULE = `must be one of ${KINDS.join(', ')}`;

export const kindSchema = z.enum(KINDS, { error: KIND_RULE });
export const nameSchema = z.string({ error: 'must be a string' }).regex(NAME_PATTERN, { error: NAME_RULE });

export interface Ref {
  kind: Kind;
  name: string;
}

export const formatRef = (ref: Ref): string => `${ref.kind}:${ref.name}`;

/** Parses `kind:name`; returns the reason it is not one instead of throwing. */
export function parseRef(text: string): Ref | string {
  const colon = text.indexOf(':');
  if (colon < 0) return `must be "kind:name" with kind one of ${KINDS.join(', ')}`;
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (!(KINDS as readonly string[]).includes(kind)) return `unknown kind "${kind}": ${KIND_RULE}`;
  if (!NAME_PATTERN.test(name)) return `name ${NAME_RULE}`;
  return { kind: kind as Kind, name };
}

/** A ref written as `kind:name`, validated and parsed. */
export const refSchema = z
  .string({ error: 'must be a string "kind:name"' })
  .transform((text, ctx) => {
    const parsed = parseRef(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

/** Kinds whose assets may be depended on: nothing depends on a consumer. */
export const isDependable = (kind: Kind): boolean => kind !== 'consumer';

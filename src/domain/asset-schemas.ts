import { z } from 'zod';
import {
  ACCESS_POLICIES,
  LIFECYCLES,
  STABILITIES,
  VALUE_TYPES,
  kindSchema,
  nameSchema,
  refSchema,
  type Kind,
} from './model.js';
import type { FieldIssue } from './errors.js';

/** Largest `metadata` accepted, as serialised JSON. */
export const METADATA_MAX_BYTES = 16 * 1024;

const label = z.string().min(1, { error: 'must not be empty' }).max(200);
const labelList = z.array(label).max(100).describe('distinct labels; duplicates are removed');
const text = (max: number) => z.string().max(max);

export const dependencySpecSchema = z.union([
  refSchema.describe('a ref, "kind:name"'),
  z
    .object({
      ref: refSchema,
      pinnedVersion: text(200).nullish().describe('the version of the dependency this one is pinned to'),
      importance: z
        .number()
        .finite()
        .nullish()
        .describe('measured incremental benefit of this dependency, e.g. from a leave-one-feature-out run'),
      note: text(2000).nullish(),
    })
    .strict(),
]);
export type DependencySpecInput = z.infer<typeof dependencySpecSchema>;

export const slaSchema = z
  .object({
    maxStalenessHours: z.number().positive().max(87600).optional(),
    notify: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2000)
      .optional()
      .describe('webhook that receives deprecation notices'),
  })
  .strict();
export type Sla = z.infer<typeof slaSchema>;

const metadataSchema = z
  .record(z.string(), z.json())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES, {
    error: `must serialise to at most ${METADATA_MAX_BYTES} bytes of JSON`,
  });

/** The body of `PUT /v1/assets/{kind}/{name}`: annotations plus the full set of dependencies. */
export const assetBodySchema = z
  .object({
    owner: z.string({ error: 'is required: the team or person accountable for the asset' }).trim().min(1).max(200),
    description: text(10_000).nullish(),
    lifecycle: z.enum(LIFECYCLES).optional().describe('defaults to production'),
    tags: labelList.optional(),
    platforms: labelList.nullish().describe('where the asset is available, e.g. batch, online, mobile; absent = unknown'),
    domains: labelList.nullish().describe('where the asset applies, e.g. ads, region:eu; absent = unknown'),
    valueType: z.enum(VALUE_TYPES).nullish().describe('what a number means (features and models only)'),
    stability: z.enum(STABILITIES).nullish().describe('sources only'),
    accessPolicy: z.enum(ACCESS_POLICIES).nullish().describe('absent = the server default'),
    contact: text(320).min(1).nullish().describe('how to reach the consumer (required for consumers)'),
    sla: slaSchema.nullish().describe('consumers only'),
    metadata: metadataSchema.optional(),
    dependsOn: z
      .array(dependencySpecSchema)
      .max(10_000)
      .optional()
      .describe('replaces the asset\'s whole set of dependencies; absent = none'),
  })
  .strict();
export type AssetBody = z.infer<typeof assetBodySchema>;

/** One asset of a batch or of an import: its ref and its body. */
export const assetItemSchema = assetBodySchema.extend({ ref: refSchema }).strict();

export const batchBodySchema = z
  .object({
    assets: z
      .array(assetItemSchema)
      .min(1, { error: 'must list at least one asset' })
      .max(10_000),
  })
  .strict();
export type BatchBody = z.infer<typeof batchBodySchema>;

export const assetPathSchema = z.object({ kind: kindSchema, name: nameSchema });

/** Rules that depend on the kind, which a PUT carries in its path rather than its body. */
export function kindRuleIssues(kind: Kind, body: AssetBody, prefix = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, message: string) => issues.push({ in: 'body', field: prefix + field, message });
  if (kind === 'consumer' && !body.contact) add('contact', 'is required for consumers');
  if (kind !== 'consumer' && body.contact != null) add('contact', 'applies to consumers only');
  if (kind !== 'consumer' && body.sla != null) add('sla', 'applies to consumers only');
  if ((kind === 'source' || kind === 'consumer') && body.valueType != null)
    add('valueType', 'applies to features and models only');
  if (kind !== 'source' && body.stability != null) add('stability', 'applies to sources only');
  return issues;
}


import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { ACCESS_POLICIES } from './domain/model.js';
import { READ_ACCESS, type ReadAccess } from './domain/policy.js';
import { parseAllowList, type AllowList } from './domain/webhook-address.js';

const MiB = 1024 * 1024;
const HOUR_MS = 60 * 60_000;

/** Why an entry of DEPCAT_CORS_ORIGINS is not an exact origin, or undefined when it is one. */
function originProblem(entry: string): string | undefined {
  // Reads may need no token, and the catalog often sits on an internal network: with `*`,
  // any site an employee opens could read it through their browser. Name the front ends.
  if (entry === '*') return '"*" is refused: list the exact origins of the front ends that call the API';
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `${JSON.stringify(entry)} is not an origin such as https://ui.example.com`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${JSON.stringify(entry)} must start with https:// or http://`;
  // Browsers send the origin serialized (lower-case host, no default port, no path): a
  // different spelling would never match.
  if (url.origin !== entry) return `${JSON.stringify(entry)} is not written as an origin (scheme://host[:port], no path); did you mean ${url.origin}?`;
  return undefined;
}

/** Comma-separated exact origins; empty or unset: none (CORS off). */
const corsOrigins = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const entries = [...new Set(value.split(',').map((entry) => entry.trim()).filter(Boolean))];
    for (const problem of entries.map(originProblem)) if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return entries;
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional()
    .transform((value) => value || undefined),
  DEPCAT_DATA_DIR: z.string().min(1).default('./.depcat'),
  DEPCAT_ACCESS_POLICY: z.enum(ACCESS_POLICIES).default('open'),
  DEPCAT_BODY_LIMIT: z.coerce.number().int().positive().default(10 * MiB),
  DEPCAT_IMPORT_CHUNK: z.coerce.number().int().positive().max(10_000).default(5000),
  DEPCAT_WRITE_LOCK_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  DEPCAT_IMPORTANCE_EPSILON: z.coerce.number().nonnegative().default(0.001),
  DEPCAT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().positive().default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEPCAT_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  DEPCAT_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  DEPCAT_IMPORT_IDLE_MS: z.coerce.number().int().positive().default(10_000),
  DEPCAT_IMPORT_MAX_MS: z.coerce.number().int().positive().default(60 * 60_000),
  DEPCAT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  DEPCAT_WEBHOOK_ALLOW: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const parsed = parseAllowList(text);
      if ('list' in parsed) return parsed.list;
      ctx.addIssue({
        code: 'custom',
        message: `${parsed.invalid.join(', ')}: not a host name, an IP address or a CIDR (e.g. hooks.internal, 127.0.0.1, 10.0.0.0/8)`,
      });
      return z.NEVER;
    }),
  DEPCAT_CHANGE_LOG_KEEP_MS: z.coerce.number().int().nonnegative().default(24 * HOUR_MS),
  // At least one: the newest entry is what tells a writer its index is behind.
  DEPCAT_CHANGE_LOG_KEEP_COUNT: z.coerce.number().int().min(1).default(10_000),
  DEPCAT_OUTBOX_KEEP_MS: z.coerce.number().int().nonnegative().default(7 * 24 * HOUR_MS),
  DEPCAT_PRUNE_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  DEPCAT_SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
  DEPCAT_AUTH: z.enum(['on', 'off']).default('on'),
  DEPCAT_READ_ACCESS: z.enum(READ_ACCESS).default('open'),
  DEPCAT_ADMIN_TOKEN: z
    .string()
    .optional()
    .transform((value) => value || undefined)
    .refine((value) => value === undefined || value.length >= 32, { error: 'must be at least 32 characters (use a random secret)' })
    .refine((value) => value === undefined || /^[\x21-\x7e]+$/.test(value), { error: 'must be printable ASCII without spaces' }),
  DEPCAT_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  DEPCAT_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  DEPCAT_CORS_ORIGINS: corsOrigins,
});

/** Whether HOST names this machine only: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (!ipaddr.isValid(host)) return false;
  const address = ipaddr.process(host);
  return address.range() === 'loopback';
}

/** The variables read, in the order `.env.example` lists them. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

export interface Config {
  port: number;
  host: string;
  /** A PostgreSQL URL, or undefined for the embedded database in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  defaultAccessPolicy: z.infer<typeof envSchema>['DEPCAT_ACCESS_POLICY'];
  bodyLimit: number;
  /** Lines an import stores per statement. */
  importChunk: number;
  /** How long a write waits for the graph write lock (held by an import, say) before a 503. */
  writeLockTimeoutMs: number;
  importanceEpsilon: number;
  webhookBackoffMs: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** How long a client may take to send a request's line and headers. */
  headersTimeoutMs: number;
  /** How long a client may take to send a body once its headers are in (imports excepted). */
  requestTimeoutMs: number;
  /** How long an import may send nothing while the server waits for its next line. */
  importIdleMs: number;
  /** How long an import may run, from its headers to its last line. */
  importMaxMs: number;
  /** A webhook receiver that has not answered within this long counts as a failed attempt. */
  webhookTimeoutMs: number;
  /** Hosts and networks webhooks may reach although they are not global addresses (loopback, private, …). */
  webhookAllow: AllowList;
  /** Change-log entries younger than this are never pruned. */
  changeLogKeepMs: number;
  /** The newest change-log entries are never pruned, however old. */
  changeLogKeepCount: number;
  /** Delivered notices are deleted once this much older than their delivery; given_up ones wait for a retry. */
  outboxKeepMs: number;
  /** How often the pruner runs. */
  pruneIntervalMs: number;
  /** On SIGTERM, how long requests in flight may take to finish before their connections are closed. */
  shutdownGraceMs: number;
  /** False with DEPCAT_AUTH=off: nothing is checked, and only a loopback HOST is allowed. */
  auth: boolean;
  readAccess: ReadAccess;
  /** An admin token that is not stored; when unset, the first start creates one. */
  adminToken: string | undefined;
  /** How long a token lives when its creation names no expiry. */
  tokenTtlDays: number;
  /** Failed authentications a client address may make per minute before it gets 429s. */
  authFailureLimit: number;
  /** Browser origins allowed to call the API from their pages (CORS); empty: none. */
  corsOrigins: readonly string[];
}

export class ConfigError extends Error {}

/** Reads the configuration once; a bad value names the variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.DEPCAT_AUTH === 'off' && !isLoopbackHost(e.HOST))
    throw new ConfigError(
      `Invalid configuration:\n  DEPCAT_AUTH: "off" is for local experiments only: HOST must be a loopback address (127.0.0.1, ::1, localhost), not "${e.HOST}"`,
    );
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DEPCAT_DATA_DIR,
    defaultAccessPolicy: e.DEPCAT_ACCESS_POLICY,
    bodyLimit: e.DEPCAT_BODY_LIMIT,
    importChunk: e.DEPCAT_IMPORT_CHUNK,
    writeLockTimeoutMs: e.DEPCAT_WRITE_LOCK_TIMEOUT_MS,
    importanceEpsilon: e.DEPCAT_IMPORTANCE_EPSILON,
    webhookBackoffMs: e.DEPCAT_WEBHOOK_BACKOFF_MS,
    logLevel: e.LOG_LEVEL,
    headersTimeoutMs: e.DEPCAT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.DEPCAT_REQUEST_TIMEOUT_MS,
    importIdleMs: e.DEPCAT_IMPORT_IDLE_MS,
    importMaxMs: e.DEPCAT_IMPORT_MAX_MS,
    webhookTimeoutMs: e.DEPCAT_WEBHOOK_TIMEOUT_MS,
    webhookAllow: e.DEPCAT_WEBHOOK_ALLOW,
    changeLogKeepMs: e.DEPCAT_CHANGE_LOG_KEEP_MS,
    changeLogKeepCount: e.DEPCAT_CHANGE_LOG_KEEP_COUNT,
    outboxKeepMs: e.DEPCAT_OUTBOX_KEEP_MS,
    pruneIntervalMs: e.DEPCAT_PRUNE_INTERVAL_MS,
    shutdownGraceMs: e.DEPCAT_SHUTDOWN_GRACE_MS,
    auth: e.DEPCAT_AUTH === 'on',
    readAccess: e.DEPCAT_READ_ACCESS,
    adminToken: e.DEPCAT_ADMIN_TOKEN,
    tokenTtlDays: e.DEPCAT_TOKEN_TTL_DAYS,
    authFailureLimit: e.DEPCAT_AUTH_FAILURE_LIMIT,
    corsOrigins: e.DEPCAT_CORS_ORIGINS,
  };
}

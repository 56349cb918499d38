import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  GraphQLError,
  isLeafType,
  isListType,
  isObjectType,
  isScalarType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { GRAPHQL_LIMITS, LIMIT_CODE } from './limits.js';

/** What the budget of one operation holds to; GRAPHQL_LIMITS in the app. */
export interface BudgetLimits {
  maxItems: number;
  maxResponseBytes: number;
}

/** The context field the response budget travels in (set by the operation-limits plugin). */
export interface BudgetContext {
  responseBudget?: ResponseBudget;
}

/**
 * What one operation may still return while it runs, and its stop signal. Lists nobody
 * pages (`dependents`, `dependsOn`) can make a cheap-looking operation return millions of
 * values; the budget counts the objects every list returns and the characters of every
 * text and JSON value, and at the first excess it aborts the operation: its signal stops
 * the executor and every resolver still to run. It aborts too when the client goes away.
 */
export class ResponseBudget {
  private readonly controller = new AbortController();
  private items = 0;
  private bytes = 0;
  /** The refusal, once spent: the operation answers this error alone. */
  exceeded: GraphQLError | null = null;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly request?: AbortSignal,
  ) {
    if (request?.aborted) this.onClientGone();
    else request?.addEventListener('abort', this.onClientGone, { once: true });
  }

  /** Aborts when the budget is spent or the client has gone: pass it to the executor. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Before a resolver runs: nothing more once the budget is spent or the client has gone. */
  check(): void {
    this.controller.signal.throwIfAborted();
  }

  /** Counts what a resolver returned; past a limit, refuses the whole operation. */
  spend(items: number, bytes: number): void {
    this.items += items;
    this.bytes += bytes;
    if (this.exceeded) throw this.exceeded;
    if (this.items > this.limits.maxItems)
      this.refuse(
        'maxItems',
        `Response limit of ${this.limits.maxItems} list items per operation exceeded; ask for smaller pages or fewer nested lists.`,
      );
    if (this.bytes > this.limits.maxResponseBytes)
      this.refuse(
        'maxResponseBytes',
        `Response limit of ${this.limits.maxResponseBytes} bytes per operation exceeded; ask for smaller pages or fewer fields.`,
      );
  }

  dispose(): void {
    this.request?.removeEventListener('abort', this.onClientGone);
  }

  private refuse(limit: string, message: string): never {
    this.exceeded = new GraphQLError(message, { extensions: { code: LIMIT_CODE, limit } });
    this.controller.abort(this.exceeded);
    throw this.exceeded;
  }

  // A GraphQLError, so that the executor's rejection is not logged as a server fault.
  private readonly onClientGone = () =>
    this.controller.abort(new GraphQLError('The client closed the request.', { extensions: { code: 'CLIENT_CLOSED_REQUEST' } }));
}

type Measure = (value: unknown) => [items: number, bytes: number];

const sizeOf = (value: unknown): number =>
  typeof value === 'string' ? value.length : value === null || value === undefined ? 0 : typeof value === 'object' ? JSON.stringify(value).length : 8;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** What a field's values cost, from its type: objects in a list, characters of text and JSON; undefined: nothing to count. */
function measureFor(type: Parameters<typeof getNullableType>[0]): Measure | undefined {
  const nullable = getNullableType(type);
  const named = getNamedType(type);
  const text = isScalarType(named) && named.name !== 'Int' && named.name !== 'Float' && named.name !== 'Boolean';
  if (isListType(nullable)) {
    if (!isLeafType(named)) return (value) => [Array.isArray(value) ? value.length : 0, 0];
    return (value) => [0, Array.isArray(value) ? value.reduce((sum: number, v) => sum + sizeOf(v) + 3, 0) : 0];
  }
  return text ? (value) => [0, sizeOf(value)] : undefined;
}

/**
 * The resolver map with every list, text and JSON field of `schema` measured against the
 * operation's budget (fields without a resolver of their own get the default one,
 * measured). Built from the schema once at start-up; nothing is changed in place.
 */
export function withResponseBudget<R extends object>(schema: GraphQLSchema, resolvers: R): R {
  const given = resolvers as Record<string, unknown>;
  const measured: Record<string, unknown> = { ...given };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const own = (given[type.name] ?? {}) as Record<string, GraphQLFieldResolver<unknown, BudgetContext>>;
    const fields: Record<string, unknown> = { ...own };
    for (const field of Object.values(type.getFields())) {
      const measure = measureFor(field.type);
      if (!measure) continue;
      const resolve = own[field.name] ?? defaultFieldResolver;
      fields[field.name] = (source: unknown, args: Record<string, unknown>, ctx: BudgetContext, info: Parameters<GraphQLFieldResolver<unknown, BudgetContext>>[3]) => {
        const budget = ctx.responseBudget;
        if (!budget) return resolve(source, args, ctx, info);
        budget.check();
        const value = resolve(source, args, ctx, info);
        if (isThenable(value))
          return value.then((resolved) => {
            budget.spend(...measure(resolved));
            return resolved;
          });
        budget.spend(...measure(value));
        return value;
      };
    }
    measured[type.name] = fields;
  }
  return measured as R;
}

export const appBudgetLimits: BudgetLimits = {
  maxItems: GRAPHQL_LIMITS.maxItems,
  maxResponseBytes: GRAPHQL_LIMITS.maxResponseBytes,
};

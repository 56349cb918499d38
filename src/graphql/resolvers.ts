import { GraphQLError } from 'graphql';
import { JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { batchAnswer } from '../contracts/assets.js';
import { cursorOf, encodeCursor, withEncodedCursor } from '../contracts/paging.js';
import type { AssetView, DependencyEdge } from '../domain/asset.js';
import { ConflictError } from '../domain/errors.js';
import type { Finding } from '../domain/finding.js';
import type { Page } from '../domain/page.js';
import type { Direction } from '../graph/closure-index.js';
import { writeItem } from '../services/assets/asset-service.js';
import type { ClosureItem, ImpactReport } from '../services/lineage-service.js';
import type { GraphQLContext } from './context.js';
import { domainExtensions, graphqlHint, underArgument } from './errors.js';
import {
  assetArgs,
  assetsArgs,
  closureArgs,
  consumersArgs,
  deleteAssetArgs,
  deprecateAssetArgs,
  historyArgs,
  impactArgs,
  notificationsArgs,
  parseArgs,
  recordUsageArgs,
  refHistoryArgs,
  reinstateAssetArgs,
  retryNotificationArgs,
  retryNotificationsArgs,
  undeclaredConsumersArgs,
  findingsArgs,
  upsertAssetArgs,
  upsertAssetsArgs,
} from './inputs.js';

type Args = Record<string, unknown>;

/** A page's position as the connection's `pageInfo`; the cursor is the same opaque one REST returns. */
const pageInfo = (next: unknown) => ({ hasNextPage: next != null, endCursor: cursorOf(next) });

/** A service's page (or report) as GraphQL lists it: its position becomes `pageInfo`. */
const paged = <P extends Pick<Page<unknown>, 'nextCursor'>>({ nextCursor, ...page }: P) => ({
  ...page,
  pageInfo: pageInfo(nextCursor),
});

const refOf = (asset: AssetView) => ({ kind: asset.kind, name: asset.name });

function remember(ctx: GraphQLContext, assets: AssetView[]): void {
  for (const asset of assets) ctx.loaders.asset.prime(asset.ref, asset);
}

async function closure(asset: AssetView, direction: Direction, args: Args, ctx: GraphQLContext) {
  const { depth, kinds, first, after } = parseArgs(closureArgs, args);
  ctx.traversal();
  return paged(await ctx.c.lineage.closure(refOf(asset), direction, { depth, kinds, limit: first, after }));
}

/**
 * Resolvers only parse arguments (the shared contracts), call the services the REST
 * routes call, and shape the answer. New fields slot in as one more entry on `Asset`,
 * `Query` or `Mutation` calling their service.
 */
export const resolvers = {
  JSONObject: JSONObjectResolver,
  JSON: JSONResolver,

  Query: {
    async asset(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref } = parseArgs(assetArgs, args);
      const asset = await ctx.c.assets.get(ref);
      remember(ctx, [asset]);
      return asset;
    },

    async assets(_: unknown, args: Args, ctx: GraphQLContext) {
      const { filter, first, after } = parseArgs(assetsArgs, args);
      const page = await ctx.c.assets.list({ ...filter, after, limit: first });
      remember(ctx, page.items);
      // `edges` (deprecated) carry each asset's own cursor, and Relay's endCursor is the
      // last edge's, also on the last page; `items` page like every other list.
      const edges = page.items.map((node) => ({ node, cursor: encodeCursor(refOf(node)) }));
      return {
        items: page.items,
        edges,
        pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },

    async history(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref, first, after } = parseArgs(refHistoryArgs, args);
      ctx.historyItems(first);
      return paged(await ctx.c.history.list(ref, { limit: first, after }));
    },

    async undeclaredConsumers(_: unknown, args: Args, ctx: GraphQLContext) {
      const { asset, since, first, after } = parseArgs(undeclaredConsumersArgs, args);
      return paged(await ctx.c.usage.undeclared({ asset, since, limit: first, after }));
    },

    async findings(_: unknown, args: Args, ctx: GraphQLContext) {
      const { filter, first, after } = parseArgs(findingsArgs, args);
      return paged(await ctx.c.findings.list({ ...filter, limit: first, after }));
    },

    async notifications(_: unknown, args: Args, ctx: GraphQLContext) {
      const { filter, first, after } = parseArgs(notificationsArgs, args);
      return paged(await ctx.c.notifications.list({ ...filter, limit: first, after }));
    },
  },

  Mutation: {
    async upsertAsset(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref, input, ifMatch } = parseArgs(upsertAssetArgs, args);
      const result = await underArgument('input', () => ctx.c.assets.put(ref, input, { caller: ctx.caller, ifMatch }));
      ctx.afterWrite();
      return result;
    },

    async upsertAssets(_: unknown, args: Args, ctx: GraphQLContext) {
      const { assets } = parseArgs(upsertAssetsArgs, args);
      const results = await ctx.c.assets.batch(
        // The batch's issues name `assets[3].owner`, as the argument does: nothing to re-root.
        assets.map(({ ref, ...body }, index) => writeItem(ref, body, `assets[${index}]`)),
        ctx.caller,
      );
      ctx.afterWrite();
      return batchAnswer(results);
    },

    async deleteAsset(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref, force, reason, ifMatch } = parseArgs(deleteAssetArgs, args);
      try {
        await ctx.c.assets.delete(ref, { force, reason, caller: ctx.caller, ifMatch });
      } catch (error) {
        // The refusal carries the impact report, as REST's 409 body does.
        if (error instanceof ConflictError && error.details !== undefined) {
          const { details: _impact, ...extensions } = domainExtensions(error);
          throw new GraphQLError(error.message, {
            extensions: { ...extensions, impact: withEncodedCursor(error.details as ImpactReport) },
          });
        }
        throw error;
      }
      ctx.afterWrite();
      return { ref: `${ref.kind}:${ref.name}`, deleted: true };
    },

    async deprecateAsset(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref, input } = parseArgs(deprecateAssetArgs, args);
      const result = await underArgument('input', () => ctx.c.deprecations.deprecate(ref, input, ctx.caller));
      ctx.afterWrite();
      remember(ctx, [result.asset]);
      return result;
    },

    async reinstateAsset(_: unknown, args: Args, ctx: GraphQLContext) {
      const { ref, ...body } = parseArgs(reinstateAssetArgs, args);
      const asset = await ctx.c.deprecations.reinstate(ref, body, ctx.caller);
      ctx.afterWrite();
      remember(ctx, [asset]);
      return asset;
    },

    async recordUsage(_: unknown, args: Args, ctx: GraphQLContext) {
      const { events } = parseArgs(recordUsageArgs, args);
      return ctx.c.usage.ingest(ctx.caller, events);
    },

    async retryNotification(_: unknown, args: Args, ctx: GraphQLContext) {
      const { id } = parseArgs(retryNotificationArgs, args);
      return ctx.c.notifications.retry(ctx.caller, id);
    },

    async retryNotifications(_: unknown, args: Args, ctx: GraphQLContext) {
      const { filter, first } = parseArgs(retryNotificationsArgs, args);
      return ctx.c.notifications.retryGivenUp(ctx.caller, filter ?? {}, first);
    },
  },

  Asset: {
    dependsOn: (asset: AssetView) => asset.dependsOn,

    /** Direct dependents: their refs from the lineage service (batched), their assets from the loader. */
    async dependents(asset: AssetView, _: Args, ctx: GraphQLContext) {
      const refs = await ctx.loaders.dependents.load(refOf(asset));
      const found = await ctx.loaders.asset.loadMany(refs);
      return found.filter((item): item is AssetView => item !== null && !(item instanceof Error));
    },

    upstream: (asset: AssetView, args: Args, ctx: GraphQLContext) => closure(asset, 'upstream', args, ctx),
    downstream: (asset: AssetView, args: Args, ctx: GraphQLContext) => closure(asset, 'downstream', args, ctx),

    async consumers(asset: AssetView, args: Args, ctx: GraphQLContext) {
      const { depth, first, after } = parseArgs(consumersArgs, args);
      ctx.traversal();
      return paged(await ctx.c.lineage.consumers(refOf(asset), { depth, limit: first, after }));
    },

    async impact(asset: AssetView, args: Args, ctx: GraphQLContext) {
      const { first, after } = parseArgs(impactArgs, args);
      ctx.traversal();
      return paged(await ctx.c.lineage.impact(refOf(asset), { limit: first, after }));
    },

    /** Batched: a list of assets asking for their history costs one statement, not one per asset. */
    async history(asset: AssetView, args: Args, ctx: GraphQLContext) {
      const { first, after } = parseArgs(historyArgs, args);
      ctx.historyItems(first);
      return paged(await ctx.loaders.history.load({ ref: refOf(asset), limit: first, after }));
    },
  },

  Dependency: {
    asset: (edge: DependencyEdge, _: Args, ctx: GraphQLContext) => ctx.loaders.asset.load(edge.ref),
  },

  Finding: {
    hint: (finding: Finding) => (finding.hint ? graphqlHint(finding.hint) : null),
  },

  ClosureItem: {
    asset: (item: ClosureItem, _: Args, ctx: GraphQLContext) => ctx.loaders.asset.load(item.ref),
  },
};

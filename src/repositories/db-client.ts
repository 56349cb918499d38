import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

/** The client a repository runs its statements on: the pool, or one transaction. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

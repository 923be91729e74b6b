// The Prisma client, one per process. The same client serves the embedded PGlite server and a real
// PostgreSQL: both speak the wire protocol, so the ordinary `pg` driver adapter talks to either.
import { AsyncLocalStorage } from "node:async_hooks";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "@/lib/generated/prisma/client";
import { env, optionalVar } from "@/lib/env";

/** A new client on `url` (tests and scripts that own their database call `$disconnect()` themselves). */
export function createPrisma(url: string): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url });
  if (!optionalVar("PAIRWISE_QUERY_STATS")) return new PrismaClient({ adapter });
  // Benchmarks (PAIRWISE_QUERY_STATS=1): every statement counted against the request it serves.
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  client.$on("query", (e) => {
    const stats = queryStatsScope.getStore();
    if (!stats) return;
    stats.queries += 1;
    stats.ms += e.duration;
  });
  return client;
}

export type TQueryStats = { queries: number; ms: number };
const globalForStats = globalThis as unknown as {
  pairwiseQueryStats?: AsyncLocalStorage<TQueryStats>;
};
const queryStatsScope = (globalForStats.pairwiseQueryStats ??=
  new AsyncLocalStorage<TQueryStats>());

/**
 * Runs `fn` counting the statements it sends through `prisma` (and their time as Prisma reports
 * it), when PAIRWISE_QUERY_STATS is set; otherwise the stats stay at zero.
 */
export async function withQueryStats<T>(fn: () => Promise<T>): Promise<[T, TQueryStats]> {
  const stats = { queries: 0, ms: 0 };
  const result = await queryStatsScope.run(stats, fn);
  return [result, stats];
}

/** Whether PAIRWISE_QUERY_STATS is set (benchmarks read the counts from the web log). */
export function queryStatsEnabled(): boolean {
  return Boolean(optionalVar("PAIRWISE_QUERY_STATS"));
}

// Next dev re-evaluates modules on every edit; keeping the client on globalThis stops each reload
// from opening another connection pool.
const globalForPrisma = globalThis as unknown as { pairwisePrisma?: PrismaClient };

/** The process-wide client on `DATABASE_URL`, created on first use. */
export function getPrisma(): PrismaClient {
  globalForPrisma.pairwisePrisma ??= createPrisma(env().DATABASE_URL);
  return globalForPrisma.pairwisePrisma;
}

/**
 * The process-wide client as a value (`prisma.user.findMany()`). It is created on first property
 * access, so importing this module does not read the environment (`next build` imports it).
 */
export const prisma: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, key) {
    const tx = transactionScope.getStore();
    if (tx) return inScope(tx, key);
    const client = getPrisma();
    const value: unknown = Reflect.get(client, key);
    return typeof value === "function" ? value.bind(client) : value;
  },
});

// A transaction that covers every query made through `prisma` in one async call tree (an admin
// mutation and its audit entry: both or neither). Code inside needs no changes: `prisma` answers
// with the open transaction, and its own `$transaction` joins it.
// One store per process, on globalThis like the client: Next bundles this module once per route
// layer (pages, route handlers), and Better Auth's instance (also process-wide) holds the `prisma`
// of whichever layer created it first. A store per copy left Better Auth's queries outside the
// admin mutation's transaction, where on PGlite (one backend for every connection) they waited for
// that transaction to end: a deadlock.
const globalForScope = globalThis as unknown as {
  pairwiseTransactionScope?: AsyncLocalStorage<Prisma.TransactionClient>;
};
const transactionScope = (globalForScope.pairwiseTransactionScope ??=
  new AsyncLocalStorage<Prisma.TransactionClient>());

function inScope(tx: Prisma.TransactionClient, key: string | symbol): unknown {
  if (key === "$transaction") {
    return async (arg: unknown) => {
      if (typeof arg === "function") return (arg as (t: typeof tx) => unknown)(tx);
      const out: unknown[] = []; // the array form: its queries were built on `tx`, run in order
      for (const query of arg as Promise<unknown>[]) out.push(await query);
      return out;
    };
  }
  const value: unknown = Reflect.get(tx, key);
  return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(tx) : value;
}

/**
 * Runs `fn` in one database transaction: every query through `prisma` (Better Auth's included)
 * commits together when it resolves and rolls back when it throws. Nested calls join the outer one.
 */
export async function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
  if (transactionScope.getStore()) return fn();
  return getPrisma().$transaction((tx) => transactionScope.run(tx, fn), {
    maxWait: 10_000,
    timeout: 60_000,
  });
}

// The Prisma client, one per process. The same client serves the embedded PGlite server and a real
// PostgreSQL: both speak the wire protocol, so the ordinary `pg` driver adapter talks to either.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";

/** A new client on `url` (tests and scripts that own their database call `$disconnect()` themselves). */
export function createPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
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
    const client = getPrisma();
    const value: unknown = Reflect.get(client, key);
    return typeof value === "function" ? value.bind(client) : value;
  },
});

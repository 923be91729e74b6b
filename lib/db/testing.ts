// Throwaway migrated databases for tests, on either backend the app supports:
//   withPgliteDatabase()   an in-memory PGlite served on a free loopback port
//   withPostgresDatabase() a fresh pairwise_test_<random> database on the PostgreSQL server
//                          (TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres)
// Both return the same shape, so a suite runs once per backend: `describe.each(testBackends())`.
import { randomBytes } from "node:crypto";
import { createPrisma } from "@/lib/db";
import { optionalVar } from "@/lib/env";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { applyMigrations } from "@/lib/db/migrate";
import { adminQuery, urlWithDatabase } from "@/lib/db/schema-engine";
import { startPgliteServer } from "@/lib/db/pglite-server";

export interface TTestDatabase {
  /** postgres:// URL of the database, for DATABASE_URL or a second client. */
  url: string;
  /** A client of its own on `url`. */
  prisma: PrismaClient;
  /** Disconnects and destroys the database. */
  close(): Promise<void>;
}

export type TTestBackend = "pglite" | "postgres";

/**
 * The backends a database suite runs on: TEST_DB=postgres or pglite picks one, TEST_DB=all both.
 * Unset means PGlite, because the test command runs the *.db.test.ts suites a second time with
 * TEST_DB=postgres.
 */
export function testBackends(): TTestBackend[] {
  const chosen = optionalVar("TEST_DB") ?? "pglite";
  if (chosen === "all") return ["pglite", "postgres"];
  if (chosen === "pglite" || chosen === "postgres") return [chosen];
  throw new Error(`TEST_DB must be pglite, postgres or all, got "${chosen}"`);
}

export const DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TEmptyDatabase {
  url: string;
  /** Destroys the database. */
  close(): Promise<void>;
}

/** A database with nothing in it, not even the migrations table. */
export async function emptyDatabase(backend: TTestBackend): Promise<TEmptyDatabase> {
  if (backend === "pglite") {
    const server = await startPgliteServer({ port: 0 });
    return { url: server.url, close: () => server.close() };
  }
  const baseUrl = optionalVar("TEST_POSTGRES_URL") ?? DEFAULT_TEST_POSTGRES_URL;
  const name = `pairwise_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(baseUrl, `CREATE DATABASE "${name}"`);
  return {
    url: urlWithDatabase(baseUrl, name),
    close: () => adminQuery(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A migrated database on `backend` with its own Prisma client. */
export async function withTestBackend(backend: TTestBackend): Promise<TTestDatabase> {
  const db = await emptyDatabase(backend);
  try {
    await applyMigrations(db.url);
  } catch (e) {
    await db.close();
    throw e;
  }
  const prisma = createPrisma(db.url);
  return {
    url: db.url,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await db.close();
    },
  };
}

/** A fresh in-memory PGlite, served on a free port and migrated. */
export function withPgliteDatabase(): Promise<TTestDatabase> {
  return withTestBackend("pglite");
}

/** A fresh pairwise_test_<random> database on the PostgreSQL server, migrated; close() drops it. */
export function withPostgresDatabase(): Promise<TTestDatabase> {
  return withTestBackend("postgres");
}

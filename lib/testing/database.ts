// The database a domain suite runs against: PGlite by default, the real PostgreSQL server with
// TEST_DB=postgres. The test command runs the *.db.test.ts suites once per backend. The app's
// Prisma singleton reads DATABASE_URL on first use, so this must run before any domain call.
import { withPgliteDatabase, withPostgresDatabase, type TTestDatabase } from "@/lib/db/testing";

export const TEST_BACKEND = process.env.TEST_DB === "postgres" ? "postgres" : "pglite";

export async function withTestDatabase(): Promise<TTestDatabase> {
  const db =
    TEST_BACKEND === "postgres" ? await withPostgresDatabase() : await withPgliteDatabase();
  process.env.DATABASE_URL = db.url;
  process.env.BETTER_AUTH_SECRET ??= "test-secret-test-secret-test-secret-0123";
  return db;
}

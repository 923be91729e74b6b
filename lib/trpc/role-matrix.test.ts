// Every tRPC procedure × every role (and signed out) → allowed, UNAUTHORIZED or FORBIDDEN.
// The list of procedures comes from the router itself: a new procedure without an entry in
// ACCESS fails "every procedure has an entry", so access is always decided on purpose.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TProcedureRole } from "@/lib/trpc/init";
import { withPgliteDatabase, type TTestDatabase } from "@/lib/db/testing";

const ACCESS: Record<string, TProcedureRole> = {
  "me.get": "public",
  "overview.get": "reviewer",
  "users.list": "admin",
  "users.create": "admin",
  "users.setRole": "admin",
  "users.setDisabled": "admin",
  "users.resetPassword": "admin",
  "users.annotators": "admin",
  "users.resetPasswordGenerated": "admin",
  "workspace.get": "annotator",
  "prompts.list": "reviewer",
  "prompts.facets": "reviewer",
  "prompts.update": "admin",
  "audit.list": "admin",
  "audit.facets": "admin",
  "annotation.current": "annotator",
  "annotation.next": "annotator",
  "annotation.advance": "annotator",
  "annotation.start": "annotator",
  "annotation.submit": "annotator",
  "annotation.continue": "annotator",
  "annotation.finish": "annotator",
  "annotation.skip": "annotator",
  "annotation.undo": "annotator",
  "review.list": "reviewer",
  "review.decide": "reviewer",
  "review.approveMany": "reviewer",
  "review.makeGold": "reviewer",
  "review.removeGold": "reviewer",
  "review.gold": "reviewer",
  "review.stats": "reviewer",
  "jobs.list": "reviewer",
  "jobs.get": "reviewer",
  "jobs.start": "admin",
  "jobs.plan": "admin",
  "jobs.trainRewardModels": "admin",
  "jobs.cancel": "admin",
  "jobs.retry": "admin",
  "models.list": "reviewer",
  "lineage.tree": "reviewer",
  "rounds.list": "reviewer",
  "rounds.get": "reviewer",
  "rounds.stats": "reviewer",
  "rounds.jobs": "reviewer",
  "rounds.history": "reviewer",
  "rounds.create": "admin",
  "rounds.updateConfig": "admin",
  "rounds.advance": "admin",
  "rounds.cancel": "admin",
  "apiKeys.list": "admin",
  "apiKeys.create": "admin",
  "apiKeys.revoke": "admin",
  "demonstrations.workspace": "annotator",
  "demonstrations.queuedPrompt": "annotator",
  "demonstrations.sample": "annotator",
  "demonstrations.submit": "annotator",
  "demonstrations.list": "reviewer",
  "demonstrations.decide": "reviewer",
  "demonstrations.edit": "reviewer",
  "demonstrations.stats": "reviewer",
};

const CALLERS = ["signed-out", "annotator", "reviewer", "admin"] as const;
const RANK = { public: -1, annotator: 0, reviewer: 1, admin: 2 } as const;

let db: TTestDatabase;
let router: typeof import("@/lib/trpc/root");

beforeAll(async () => {
  db = await withPgliteDatabase();
  process.env.DATABASE_URL = db.url;
  process.env.BETTER_AUTH_SECRET ??= "role-matrix-secret-role-matrix-secret-0123";
  router = await import("@/lib/trpc/root");
});
afterAll(async () => {
  await db?.close();
});

function procedurePaths(): string[] {
  return Object.keys(router.appRouter._def.procedures).sort();
}

describe("role matrix", () => {
  it("every procedure has an entry, and every entry is a procedure", () => {
    const paths = procedurePaths();
    expect(paths.filter((p) => !(p in ACCESS))).toEqual([]);
    expect(Object.keys(ACCESS).filter((p) => !paths.includes(p))).toEqual([]);
  });

  it("answers each caller as the matrix says", async () => {
    const outcomes: string[] = [];
    for (const path of procedurePaths()) {
      const needed = ACCESS[path]!;
      for (const who of CALLERS) {
        const user =
          who === "signed-out"
            ? null
            : { id: `matrix-${who}`, email: `${who}@matrix.test`, name: who, role: who };
        const caller = router.createCaller({ user });
        const fn = path
          .split(".")
          .reduce<unknown>((obj, key) => (obj as Record<string, unknown>)[key], caller) as (
          input?: unknown,
        ) => Promise<unknown>;
        let code = "OK";
        try {
          await fn(undefined);
        } catch (error) {
          code = error instanceof TRPCError ? error.code : `THREW ${String(error)}`;
        }
        const allowed = needed === "public" || (who !== "signed-out" && RANK[who] >= RANK[needed]);
        const expected = allowed ? "allowed" : who === "signed-out" ? "UNAUTHORIZED" : "FORBIDDEN";
        const actual = code === "UNAUTHORIZED" || code === "FORBIDDEN" ? code : "allowed";
        outcomes.push(
          `${path} ${who}: ${actual === expected ? "ok" : `expected ${expected}, got ${code}`}`,
        );
      }
    }
    expect(outcomes.filter((o) => !o.endsWith(": ok"))).toEqual([]);
    expect(outcomes.length).toBe(procedurePaths().length * CALLERS.length);
  });
});

import "server-only";
// The only place routers are registered. The role matrix test (lib/trpc/role-matrix.test.ts)
// walks this router: a new procedure without an entry there fails it.
import { createCallerFactory, createTRPCRouter, registerInputs } from "@/lib/trpc/init";
import { annotationRouter } from "@/lib/trpc/routers/annotation";
import { apiKeysRouter } from "@/lib/trpc/routers/api-keys";
import { auditRouter } from "@/lib/trpc/routers/audit";
import { demonstrationsRouter } from "@/lib/trpc/routers/demonstrations";
import { jobsRouter, modelsRouter } from "@/lib/trpc/routers/jobs";
import { lineageRouter } from "@/lib/trpc/routers/lineage";
import { meRouter } from "@/lib/trpc/routers/me";
import { overviewRouter } from "@/lib/trpc/routers/overview";
import { promptsRouter } from "@/lib/trpc/routers/prompts";
import { reviewRouter } from "@/lib/trpc/routers/review";
import { roundsRouter } from "@/lib/trpc/routers/rounds";
import { usersRouter } from "@/lib/trpc/routers/users";
import { workspaceRouter } from "@/lib/trpc/routers/workspace";

export const appRouter = createTRPCRouter({
  me: meRouter,
  overview: overviewRouter,
  users: usersRouter,
  workspace: workspaceRouter,
  prompts: promptsRouter,
  audit: auditRouter,
  annotation: annotationRouter,
  review: reviewRouter,
  jobs: jobsRouter,
  models: modelsRouter,
  lineage: lineageRouter,
  rounds: roundsRouter,
  apiKeys: apiKeysRouter,
  demonstrations: demonstrationsRouter,
});

// Unknown keys are refused and the audit log stores validated input: both need the schemas.
registerInputs(appRouter._def.procedures);

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);

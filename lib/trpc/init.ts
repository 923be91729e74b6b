import "server-only";
/**
 * tRPC, in three parts (create-t3-app style):
 * 1. context: who is calling;
 * 2. initialisation: transformer, error shape (zod issues travel to the form that sent them);
 * 3. procedures by role: public, annotator, reviewer, admin (admin ⊇ reviewer ⊇ annotator).
 * Routers stay thin: validate, authorise, call one domain function.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { getSessionUser, type TSessionUser } from "@/lib/server/auth/auth";
import { writeAudit } from "@/lib/server/audit/write-audit";
import { DomainError } from "@/lib/server/errors";
import { hasRole, type TRole } from "@/lib/shared/roles";

// 1. Context ──────────────────────────────────────────────────────────────
export type TContext = { user: TSessionUser | null };

export async function createContext(opts: { headers: Headers }): Promise<TContext> {
  return { user: await getSessionUser(opts.headers) };
}

// 2. Initialisation ───────────────────────────────────────────────────────
const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // "field: message" pairs for forms; the message itself already names the problem.
        fieldErrors: cause instanceof ZodError ? z.flattenError(cause).fieldErrors : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors become tRPC errors with the same message; anything else stays a 500. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

// 3. Procedures ───────────────────────────────────────────────────────────
export const publicProcedure = t.procedure.use(domainErrors);

function requireRole(role: TRole) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
    if (!hasRole(ctx.user.role, role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role` });
    }
    return next({ ctx: { user: ctx.user } });
  });
}

export const annotatorProcedure = publicProcedure.use(requireRole("annotator"));
export const reviewerProcedure = publicProcedure.use(requireRole("reviewer"));

/** Every successful admin mutation is written to the audit log, with secrets redacted. */
export const adminProcedure = publicProcedure.use(requireRole("admin")).use(async (opts) => {
  const result = await opts.next();
  if (opts.type === "mutation" && result.ok) {
    const input = await opts.getRawInput();
    const data = result.data as { id?: unknown } | null | undefined;
    await writeAudit({
      actorId: opts.ctx.user.id,
      action: opts.path,
      targetType: opts.path.split(".")[0] ?? opts.path,
      targetId:
        typeof data?.id === "string"
          ? data.id
          : typeof (input as { userId?: unknown })?.userId === "string"
            ? (input as { userId: string }).userId
            : null,
      details: input,
    });
  }
  return result;
});

export type TProcedureRole = "public" | TRole;

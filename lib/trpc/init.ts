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
  // Overload, not a fault: no transaction or connection could be had in time (P2028, P2024; seen
  // at 200 concurrent annotators on the embedded database). 503 tells the client to retry.
  if (!result.ok) {
    const cause = result.error.cause as { code?: unknown } | undefined;
    if (cause?.code === "P2028" || cause?.code === "P2024")
      throw new TRPCError({
        code: "SERVICE_UNAVAILABLE",
        message: "The server is busy; retry in a moment",
        cause: result.error.cause,
      });
  }
  return result;
});

/** Where a string in `value` holds a NUL character ("a.b.0"), or null; bounded depth and breadth. */
function nulPath(value: unknown, path: string, depth: number): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path || "input" : null;
  if (depth > 32 || value === null || typeof value !== "object") return null;
  let seen = 0;
  for (const [key, v] of Object.entries(value)) {
    if (++seen > 10_000) return null;
    const found = nulPath(v, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * PostgreSQL text cannot hold NUL, so a NUL anywhere in the input would fail in the database as a
 * 500; it is refused up front as a 400 naming the field.
 */
const refuseNul = t.middleware(async ({ next, getRawInput }) => {
  let raw: unknown;
  try {
    raw = await getRawInput();
  } catch {
    return next(); // an unparsable body: the input parser reports it
  }
  const at = nulPath(raw, "", 0);
  if (at)
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${at}: text cannot contain the NUL character`,
    });
  return next();
});

// 3. Procedures ───────────────────────────────────────────────────────────
export const publicProcedure = t.procedure.use(domainErrors).use(refuseNul);

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

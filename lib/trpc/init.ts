import "server-only";
/**
 * tRPC, in three parts (create-t3-app style):
 * 1. context: who is calling;
 * 2. initialisation: transformer, error shape (zod issues travel as sentences to the form that
 *    sent them);
 * 3. procedures by role: public, annotator, reviewer, admin (admin ⊇ reviewer ⊇ annotator).
 * Routers stay thin: validate, authorise, call one domain function.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { getSessionUser, type TSessionUser } from "@/lib/server/auth/auth";
import { inTransaction } from "@/lib/db";
import { writeAudit } from "@/lib/server/audit/write-audit";
import { DomainError } from "@/lib/server/errors";
import { hasRole, type TRole } from "@/lib/shared/roles";
import { hasBadText } from "@/lib/shared/text";
import { installHumanZodMessages, issuesMessage } from "@/lib/shared/messages";

installHumanZodMessages();

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
    // An unexpected failure (a database error, a bug) is logged by the route handler; the client
    // gets a sentence, never the text of the error, which can carry SQL, hosts or user names.
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    // Refused input reads as sentences naming each field ("Reason: must not be empty"), never
    // zod's JSON array of issues.
    const invalid = cause instanceof ZodError;
    return {
      ...shape,
      ...(internal
        ? { message: "The server could not complete this request; the error has been logged" }
        : invalid
          ? { message: issuesMessage(cause.issues) }
          : {}),
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
  // A domain function that checks its input with zod itself: the same 400 as the input parser's.
  if (
    !result.ok &&
    result.error.code === "INTERNAL_SERVER_ERROR" &&
    result.error.cause instanceof ZodError
  )
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "invalid input",
      cause: result.error.cause,
    });
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

// Input schemas by procedure path, registered by the root router (lib/trpc/root.ts).
type TInputs = readonly unknown[];
const inputsByPath = new Map<string, TInputs>();

/** Records every procedure's input schemas, so the middlewares below can check against them. */
export function registerInputs(procedures: Record<string, unknown>) {
  for (const [path, p] of Object.entries(procedures))
    inputsByPath.set(path, (p as { _def: { inputs: TInputs } })._def.inputs);
}

const WRAPPERS = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "readonly",
  "catch",
  "nonoptional",
]);

/**
 * The first key of `value` that `schema` does not declare ("spec.config.x"), or null. Every object
 * schema is treated as strict unless it says otherwise (an explicit catchall): an unknown key is
 * a 400, not silently dropped, and never reaches the audit log. Bounded depth.
 */
export function unknownKey(schema: unknown, value: unknown, path = "", depth = 0): string | null {
  if (depth > 32 || value === null || typeof value !== "object") return null;
  const s = schema as { _zod?: { def: Record<string, unknown> & { type: string } } } | undefined;
  const def = s?._zod?.def;
  if (!def) return null;
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  const walk = (child: unknown, v: unknown, p = path) => unknownKey(child, v, p, depth + 1);
  if (WRAPPERS.has(def.type)) return walk(def.innerType, value);
  switch (def.type) {
    case "object": {
      if (Array.isArray(value)) return null;
      const shape = def.shape as Record<string, unknown>;
      const catchall = def.catchall as { _zod: { def: { type: string } } } | undefined;
      for (const [key, v] of Object.entries(value)) {
        if (Object.hasOwn(shape, key)) {
          const found = walk(shape[key], v, at(key));
          if (found) return found;
        } else if (!catchall || catchall._zod.def.type === "never") {
          return at(key.replace(/[\u0000-\u001f\ud800-\udfff]/g, "?"));
        }
      }
      return null;
    }
    case "pipe":
      return walk(def.in, value);
    case "lazy":
      return walk((def.getter as () => unknown)(), value);
    case "array":
      if (!Array.isArray(value)) return null;
      for (const [i, v] of value.slice(0, 10_000).entries()) {
        const found = walk(def.element, v, at(i));
        if (found) return found;
      }
      return null;
    case "tuple":
      if (!Array.isArray(value)) return null;
      for (const [i, item] of (def.items as unknown[]).entries()) {
        const found = walk(item, value[i], at(i));
        if (found) return found;
      }
      return null;
    case "record":
      for (const [key, v] of Object.entries(value).slice(0, 10_000)) {
        const found = walk(def.valueType, v, at(key));
        if (found) return found;
      }
      return null;
    case "union": {
      // Refused only when no option accepts the keys; then named as the first option saw it.
      const found = (def.options as unknown[]).map((o) => walk(o, value));
      return found.includes(null) ? null : (found[0] ?? null);
    }
    default:
      return null; // intersections and the rest: the schema itself decides
  }
}

/**
 * Refused up front as a 400 naming the field, before any change is made:
 * - text PostgreSQL cannot store (NUL, an unpaired UTF-16 surrogate) in a value or a key;
 * - a key the procedure's input schema does not declare.
 */
const inputHygiene = t.middleware(async ({ next, getRawInput, path }) => {
  let raw: unknown;
  try {
    raw = await getRawInput();
  } catch {
    return next(); // an unparsable body: the input parser reports it
  }
  const bad = hasBadText(raw);
  if (bad)
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${bad}: text cannot contain the NUL character or an unpaired UTF-16 surrogate`,
    });
  for (const schema of inputsByPath.get(path) ?? []) {
    const key = unknownKey(schema, raw);
    if (key)
      throw new TRPCError({ code: "BAD_REQUEST", message: `${key}: unknown field; remove it` });
  }
  return next();
});

/** The input as the procedure's schemas accepted it (what the audit log stores), or null. */
function validatedInput(path: string, raw: unknown): unknown {
  let out: unknown = null;
  for (const schema of inputsByPath.get(path) ?? []) {
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (!parsed.success) return null;
    out =
      out && typeof out === "object" && parsed.data && typeof parsed.data === "object"
        ? { ...out, ...parsed.data }
        : parsed.data;
  }
  return out;
}

// 3. Procedures ───────────────────────────────────────────────────────────
export const publicProcedure = t.procedure.use(domainErrors).use(inputHygiene);

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

/** A failed mutation, carried out of its transaction so that the transaction rolls back. */
class Rollback {
  constructor(readonly result: unknown) {}
}

/**
 * Every admin mutation runs in one transaction with its audit entry (the validated input, secrets
 * redacted): the change and the entry are both written or neither is.
 */
export const adminProcedure = publicProcedure.use(requireRole("admin")).use(async (opts) => {
  if (opts.type !== "mutation") return opts.next();
  try {
    return await inTransaction(async () => {
      const result = await opts.next();
      if (!result.ok) throw new Rollback(result);
      const input = validatedInput(opts.path, await opts.getRawInput());
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
      return result;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result as Awaited<ReturnType<typeof opts.next>>;
    throw error;
  }
});

export type TProcedureRole = "public" | TRole;

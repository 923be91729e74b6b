// The only reader of process.env. Every setting is validated here; a bad or missing variable
// stops the process with a message naming it (see README "Configuration").
import { z } from "zod";

const ZUrl = (what: string) =>
  z.string().refine((s) => URL.canParse(s), { message: `must be a URL (${what})` });

export const ZServerEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** postgres:// URL. The start command points it at the embedded PGlite server unless set. */
  DATABASE_URL: ZUrl("postgres://user@host:port/db").refine((s) => /^postgres(ql)?:\/\//.test(s), {
    message: "must start with postgres:// or postgresql://",
  }),
  /** Where the embedded database, models and job artifacts live. */
  PAIRWISE_DATA_DIR: z.string().min(1).default("data"),
  /** Public URL of the web app, used by auth for cookies and trusted origins. */
  BETTER_AUTH_URL: ZUrl("http://127.0.0.1:3000").default("http://127.0.0.1:3000"),
  /** Signs session cookies; at least 32 characters. The start command generates one into data/. */
  BETTER_AUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  /**
   * How many reverse proxies in front of the web app append to X-Forwarded-For. 0 (the default):
   * the header is ignored and the per-IP sign-in limit uses the socket address; N: the address N
   * entries from the right, the one the outermost trusted proxy saw.
   */
  PAIRWISE_TRUSTED_PROXIES: z.coerce
    .number({ message: "must be a whole number of proxies, 0 or more" })
    .int("must be a whole number of proxies, 0 or more")
    .min(0, "must be a whole number of proxies, 0 or more")
    .max(10, "must be at most 10")
    .default(0),
  /** The engine's HTTP address and shared token. */
  ENGINE_URL: ZUrl("http://127.0.0.1:8710").default("http://127.0.0.1:8710"),
  ENGINE_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * Optional: send every annotation pair's generation to an external OpenAI-compatible server
   * (vLLM, TGI, llama.cpp) instead of the engine: its base URL (…/v1), the model name it serves,
   * and its API key if it wants one. Rewards and jobs still use the engine.
   */
  GENERATION_BACKEND_URL: ZUrl("http://gpu-host:8000/v1").optional(),
  GENERATION_BACKEND_MODEL: z.string().min(1).optional(),
  GENERATION_BACKEND_KEY: z.string().min(1).optional(),
});
export type TServerEnv = z.infer<typeof ZServerEnv>;

/** Formats zod issues as "NAME: message" lines. */
export function describeEnvErrors(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`).join("\n");
}

let cached: TServerEnv | undefined;

/** The validated environment; throws with every bad variable named. */
export function env(): TServerEnv {
  if (cached) return cached;
  const parsed = ZServerEnv.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid environment:\n${describeEnvErrors(parsed.error)}`);
  }
  cached = parsed.data;
  return cached;
}

/** Reads one optional variable for scripts that run before the full environment exists. */
export function optionalVar(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}

/** First-start accounts. Unset passwords are generated and printed once (see lib/seed/accounts.ts). */
export const ZBootstrapEnv = z.object({
  ADMIN_EMAIL: z.email("ADMIN_EMAIL must be an email address").default("admin@pairwise.local"),
  ADMIN_PASSWORD: z
    .string()
    .min(8, "ADMIN_PASSWORD must be at least 8 characters")
    .max(128)
    .optional(),
  ANNOTATOR_EMAIL: z
    .email("ANNOTATOR_EMAIL must be an email address")
    .default("annotator@pairwise.local"),
  ANNOTATOR_PASSWORD: z
    .string()
    .min(8, "ANNOTATOR_PASSWORD must be at least 8 characters")
    .max(128)
    .optional(),
});
export type TBootstrapEnv = z.infer<typeof ZBootstrapEnv>;

export function bootstrapEnv(): TBootstrapEnv {
  const raw = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => k in ZBootstrapEnv.shape && v !== ""),
  );
  const parsed = ZBootstrapEnv.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid environment:\n${describeEnvErrors(parsed.error)}`);
  return parsed.data;
}

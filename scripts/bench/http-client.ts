// A signed-in HTTP client of the platform for benchmarks and simulations: the same tRPC API the
// browser uses, over plain HTTP with the session cookie.
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@/lib/trpc/root";

export type TPlatformClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * Signs in and returns the session cookie. `clientIp` stands for the annotator's own address, so
 * the per-IP sign-in limit sees many clients as many; a 429 is waited out.
 */
export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
  clientIp?: string,
): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const res = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: baseUrl,
        ...(clientIp ? { "x-forwarded-for": clientIp } : {}),
      },
      body: JSON.stringify({ email, password }),
    });
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 5)));
      continue;
    }
    if (!res.ok) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  }
  throw new Error(`sign-in of ${email} kept being rate limited`);
}

export function platformClient(baseUrl: string, cookie: string): TPlatformClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        headers: () => ({ cookie, origin: baseUrl }),
      }),
    ],
  });
}

/**
 * Reads a comparison's pair stream to the end: this is what makes the engine sample it. "dropped":
 * the two responses stayed identical after resampling and the server let the item go.
 */
export async function generatePair(
  baseUrl: string,
  cookie: string,
  comparisonId: string,
): Promise<"done" | "dropped"> {
  const res = await fetch(`${baseUrl}/api/comparisons/${comparisonId}/stream`, {
    headers: { cookie },
  });
  const text = await res.text();
  if (text.includes('"type":"done"')) return "done";
  if (text.includes('"type":"dropped"')) return "dropped";
  throw new Error(`pair ${comparisonId} was not generated: ${text.slice(-300)}`);
}

/**
 * generatePair for a sampler that samples many pairs: one annotator may sample 30 pairs a minute,
 * so a refusal for that limit is waited out (5 s a try, up to 30 tries); other errors are thrown.
 */
export async function generatePairWaitingOutLimit(
  baseUrl: string,
  cookie: string,
  comparisonId: string,
): Promise<"done" | "dropped"> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await generatePair(baseUrl, cookie, comparisonId);
    } catch (error) {
      if (attempt >= 30 || !/at most \d+ pairs a minute/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

/** The p-th percentile of an ascending list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

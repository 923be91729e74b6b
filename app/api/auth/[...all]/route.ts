import { toNextJsHandler } from "better-auth/next-js";
import { auth } from "@/lib/server/auth/auth";
import { consumeSignInAttempt, refundSignInAttempt } from "@/lib/server/auth/sign-in-limit";
import { ZSignIn } from "@/lib/shared/users";

function jsonError(status: number, message: string, headers: Record<string, string> = {}) {
  return Response.json(
    { code: status === 429 ? "TOO_MANY_REQUESTS" : "BAD_REQUEST", message },
    { status, headers },
  );
}

export async function GET(req: Request) {
  return toNextJsHandler(auth()).GET(req);
}

/** Sign-in is validated and limited per email before Better Auth sees it. */
export async function POST(req: Request) {
  if (new URL(req.url).pathname.endsWith("/sign-in/email")) {
    let body: unknown;
    try {
      body = await req.clone().json();
    } catch {
      return jsonError(400, "The request body must be JSON with email and password");
    }
    const parsed = ZSignIn.safeParse(body);
    if (!parsed.success)
      return jsonError(400, parsed.error.issues.map((i) => i.message).join("; "));
    const at = Date.now();
    const wait = consumeSignInAttempt(parsed.data.email, at);
    if (wait !== null) {
      return jsonError(
        429,
        `Too many failed sign-in attempts for this account. Try again in ${wait} s.`,
        {
          "Retry-After": String(wait),
        },
      );
    }
    const res = await toNextJsHandler(auth()).POST(req);
    if (res.ok) refundSignInAttempt(parsed.data.email, at);
    return res;
  }
  return toNextJsHandler(auth()).POST(req);
}

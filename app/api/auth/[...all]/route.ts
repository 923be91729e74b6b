import { toNextJsHandler } from "better-auth/next-js";
import { auth, sessionToken } from "@/lib/server/auth/auth";
import { invalidateSessionToken } from "@/lib/server/auth/session-cache";
import { z } from "zod";
import {
  consumeSignInAttempt,
  refundSignInAttempt,
  signInKey,
} from "@/lib/server/auth/sign-in-limit";
import { CLIENT_ADDRESS_HEADER } from "@/lib/server/http/client-address";
import { hasBadText } from "@/lib/shared/text";
import { ZName, ZSignIn } from "@/lib/shared/users";
import { issuesMessage } from "@/lib/shared/messages";

function jsonError(status: number, message: string, headers: Record<string, string> = {}) {
  return Response.json(
    { code: status === 429 ? "TOO_MANY_REQUESTS" : "BAD_REQUEST", message },
    { status, headers },
  );
}

export async function GET(req: Request) {
  return toNextJsHandler(auth()).GET(req);
}

/**
 * What a user may change about themselves through update-user: the name, with the limits of an
 * admin-created account (lib/shared/users.ts). The image and anything else are not theirs to set.
 */
const ZSelfUpdate = z.strictObject({ name: ZName });

async function updateUser(req: Request): Promise<Response> {
  const token = await sessionToken(req.headers);
  try {
    return await updateUserChecked(req);
  } finally {
    // The cached session holds the name: forget it.
    if (token) invalidateSessionToken(token);
  }
}

async function updateUserChecked(req: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await req.clone().json();
  } catch {
    return jsonError(400, "The request body must be JSON with a name");
  }
  const bad = hasBadText(body);
  if (bad)
    return jsonError(
      400,
      `${bad}: text cannot contain the NUL character or an unpaired UTF-16 surrogate`,
    );
  const parsed = ZSelfUpdate.safeParse(body);
  if (!parsed.success)
    return jsonError(
      400,
      parsed.error.issues
        .map((i) =>
          i.code === "unrecognized_keys"
            ? `${i.keys.join(", ")}: not something you can change (only name)`
            : `${i.path.join(".") || "body"}: ${i.message}`,
        )
        .join("; "),
    );
  return toNextJsHandler(auth()).POST(req);
}

/** Sign-in is validated and limited per email + client address before Better Auth sees it. */
export async function POST(req: Request) {
  const path = new URL(req.url).pathname;
  if (path.endsWith("/update-user")) return updateUser(req);
  if (path.endsWith("/sign-in/email")) {
    let body: unknown;
    try {
      body = await req.clone().json();
    } catch {
      return jsonError(400, "The request body must be JSON with email and password");
    }
    const parsed = ZSignIn.safeParse(body);
    if (!parsed.success) return jsonError(400, issuesMessage(parsed.error.issues));
    const at = Date.now();
    // Per email + address: a stranger's failures do not lock the owner out from their own address.
    const key = signInKey(parsed.data.email, req.headers.get(CLIENT_ADDRESS_HEADER));
    const wait = consumeSignInAttempt(key, at);
    if (wait !== null) {
      return jsonError(
        429,
        `Too many failed sign-in attempts for this account from your address. Try again in ${wait} s.`,
        {
          "Retry-After": String(wait),
        },
      );
    }
    const res = await toNextJsHandler(auth()).POST(req);
    if (res.ok) refundSignInAttempt(key, at);
    return res;
  }
  // Sign-out, and every other change Better Auth makes to a session or its user: the cached
  // session (lib/server/auth/session-cache.ts) is forgotten before and after, so the change is
  // seen by the next request.
  const token = await sessionToken(req.headers);
  if (token) invalidateSessionToken(token);
  try {
    return await toNextJsHandler(auth()).POST(req);
  } finally {
    if (token) invalidateSessionToken(token);
  }
}

// Answers, in the shape of the API asked (tRPC's error envelope, or the export API's
// { error: { code, message } }), what Next would otherwise answer without a body: an HTTP method
// the API does not serve (405; HEAD and OPTIONS are left to Next, which answers them from GET and
// the allowed methods), and a path with malformed percent-encoding (400, where Next fails with 500).
// On every other path it refuses only TRACE, TRACK and CONNECT (405).
import { NextResponse, type NextRequest } from "next/server";

const PASS = new Set(["HEAD", "OPTIONS"]);

function refuse(trpc: boolean, status: 400 | 405, message: string, headers?: HeadersInit) {
  const body = trpc
    ? {
        error: {
          json: {
            message,
            code: status === 405 ? -32005 : -32600,
            data: {
              code: status === 405 ? "METHOD_NOT_SUPPORTED" : "BAD_REQUEST",
              httpStatus: status,
            },
          },
        },
      }
    : { error: { code: status === 405 ? "method_not_allowed" : "invalid_parameter", message } };
  return NextResponse.json(body, { status, headers });
}

// Methods no route serves; Next would answer them with a bare 500 (TRACE echoes the request).
const NEVER = new Set(["TRACE", "TRACK", "CONNECT"]);

export function proxy(req: NextRequest) {
  const path = req.nextUrl.pathname;
  const api = path.startsWith("/api/trpc") || path.startsWith("/api/v1");
  if (!api) {
    const method = req.method.toUpperCase();
    if (!NEVER.has(method)) return NextResponse.next();
    return new NextResponse(`${method} is not supported\n`, {
      status: 405,
      headers: { allow: "GET, HEAD, OPTIONS, POST", "content-type": "text/plain; charset=utf-8" },
    });
  }
  const trpc = path.startsWith("/api/trpc");
  // A path Next cannot decode ("%ZZ") would fail inside its router with a bare 500.
  try {
    decodeURIComponent(req.nextUrl.pathname);
  } catch {
    return refuse(trpc, 400, "The path has malformed percent-encoding");
  }
  const method = req.method.toUpperCase();
  if (PASS.has(method)) return NextResponse.next();
  const allowed = trpc ? ["GET", "POST"] : ["GET"];
  if (allowed.includes(method)) return NextResponse.next();
  return refuse(trpc, 405, `${method} is not supported here; use ${allowed.join(" or ")}`, {
    allow: allowed.join(", "),
  });
}

// Every path (pages and every API route) but Next's static files.
export const config = { matcher: ["/((?!_next/static|_next/image).*)"] };

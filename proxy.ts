// Answers, in the shape of the API asked (tRPC's error envelope, or the export API's
// { error: { code, message } }), what Next would otherwise answer without a body: an HTTP method
// the API does not serve (405; HEAD and OPTIONS are left to Next, which answers them from GET and
// the allowed methods), and a path with malformed percent-encoding (400, where Next fails with 500).
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

export function proxy(req: NextRequest) {
  const trpc = req.nextUrl.pathname.startsWith("/api/trpc");
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

export const config = { matcher: ["/api/trpc/:path*", "/api/v1/:path*"] };

// The Node.js half of instrumentation.ts, run on each request before Next sees it. Patching
// http.Server's emit reaches the server `next start` already created (the method is looked up on
// the prototype per event). It
// - stamps the client's address (lib/server/http/client-address.ts);
// - answers TRACE with 405: Next cannot even build a Request for it and fails with a bare 500;
// - refuses "__proto__" in the export API's query string, which Next drops before the route
//   handler could call it the unknown parameter it is (docs/export-api.md: unknown is 400).
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { ZServerEnv } from "@/lib/env";
import { stampClientAddress } from "@/lib/server/http/client-address";

const trusted = ZServerEnv.shape.PAIRWISE_TRUSTED_PROXIES.parse(
  process.env.PAIRWISE_TRUSTED_PROXIES || undefined,
);

function answer(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** True when the request was answered here. */
export function screen(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "TRACE") {
    answer(
      res,
      405,
      { error: { code: "method_not_allowed", message: "TRACE is not supported here" } },
      { allow: "GET, HEAD, OPTIONS, POST" },
    );
    return true;
  }
  const url = req.url ?? "";
  if (url.startsWith("/api/v1/") && url.includes("?")) {
    const params = new URLSearchParams(url.slice(url.indexOf("?") + 1));
    if ([...params.keys()].some((k) => k === "__proto__")) {
      answer(res, 400, {
        error: {
          code: "invalid_parameter",
          message: 'Unknown parameter "__proto__"',
          parameter: "__proto__",
        },
      });
      return true;
    }
  }
  return false;
}

const emit = http.Server.prototype.emit as (event: string | symbol, ...args: unknown[]) => boolean;
http.Server.prototype.emit = function (
  this: http.Server,
  event: string | symbol,
  ...args: unknown[]
) {
  if (event === "request") {
    const [req, res] = args as [IncomingMessage, ServerResponse];
    if (screen(req, res)) return true;
    stampClientAddress(req, trusted);
  }
  return emit.call(this, event, ...args);
} as typeof http.Server.prototype.emit;

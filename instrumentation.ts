// Runs once when the Next server starts (next start, next dev). Stamps every request with the
// client's address before Next sees it (lib/server/http/client-address.ts): route handlers get no
// socket, and the X-Forwarded-For that Next passes on can be the client's own invention.
import type { IncomingMessage } from "node:http";

export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const http = await import("node:http");
  const { stampClientAddress } = await import("@/lib/server/http/client-address");
  const { ZServerEnv } = await import("@/lib/env");
  const trusted = ZServerEnv.shape.PAIRWISE_TRUSTED_PROXIES.parse(
    process.env.PAIRWISE_TRUSTED_PROXIES || undefined,
  );
  const emit = http.Server.prototype.emit as (
    event: string | symbol,
    ...args: unknown[]
  ) => boolean;
  http.Server.prototype.emit = function (
    this: InstanceType<typeof http.Server>,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === "request") stampClientAddress(args[0] as IncomingMessage, trusted);
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}

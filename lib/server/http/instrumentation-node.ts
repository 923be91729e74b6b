// The Node.js half of instrumentation.ts: stamps every request with the client's address before
// Next sees it (lib/server/http/client-address.ts). Patching http.Server's emit reaches the server
// `next start` already created, since the method is looked up on the prototype per event.
import http, { type IncomingMessage } from "node:http";
import { ZServerEnv } from "@/lib/env";
import { stampClientAddress } from "@/lib/server/http/client-address";

const trusted = ZServerEnv.shape.PAIRWISE_TRUSTED_PROXIES.parse(
  process.env.PAIRWISE_TRUSTED_PROXIES || undefined,
);
const emit = http.Server.prototype.emit as (event: string | symbol, ...args: unknown[]) => boolean;
http.Server.prototype.emit = function (
  this: http.Server,
  event: string | symbol,
  ...args: unknown[]
) {
  if (event === "request") stampClientAddress(args[0] as IncomingMessage, trusted);
  return emit.call(this, event, ...args);
} as typeof http.Server.prototype.emit;

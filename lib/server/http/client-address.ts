// The client's address for per-IP limits. `next start` keeps a client-sent X-Forwarded-For as it
// is, so the header alone can be forged: instrumentation.ts stamps every request with the socket
// address (CLIENT_ADDRESS_HEADER, a client-sent one is overwritten), using X-Forwarded-For only as
// far as PAIRWISE_TRUSTED_PROXIES allows.
import type { IncomingMessage } from "node:http";

export const CLIENT_ADDRESS_HEADER = "x-pairwise-client-address";

/**
 * With 0 trusted proxies, the socket address. With N, each proxy appends the address it saw, so the
 * client is the entry N from the right of X-Forwarded-For (entries left of it are the client's own
 * claims); a shorter header falls back to its first entry.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: number,
): string {
  const socket = socketAddress || "unknown";
  if (trustedProxies <= 0) return socket;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  const chain = header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (chain.length === 0) return socket;
  return chain[Math.max(0, chain.length - trustedProxies)]!.slice(0, 100);
}

/** Stamps `req` with its client address, replacing any value the client sent. */
export function stampClientAddress(req: IncomingMessage, trustedProxies: number): void {
  req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(
    req.socket?.remoteAddress,
    req.headers["x-forwarded-for"],
    trustedProxies,
  );
}

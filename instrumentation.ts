// Runs once when the Next server starts (next start, next dev). On Node.js it stamps every request
// with the client's address (lib/server/http/instrumentation-node.ts): route handlers get no socket,
// and the X-Forwarded-For that Next passes on can be the client's own invention.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./lib/server/http/instrumentation-node");
}

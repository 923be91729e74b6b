// The embedded database server (lib/db/pglite-server.ts) as a process of its own, so the web app,
// the worker and scripts can share one PGlite database. Data: $PAIRWISE_DATA_DIR/pglite (default
// data/pglite); port: $PGLITE_PORT (default 54329). Prints exactly one line when ready, which
// scripts/start waits for:
//   database listening on postgresql://postgres@127.0.0.1:PORT/postgres
// Stops cleanly on SIGINT/SIGTERM (closing PGlite flushes it to disk and lets Node exit).
import path from "node:path";
import { optionalVar } from "@/lib/env";
import { DEFAULT_PGLITE_PORT, PgliteServerError, startPgliteServer } from "@/lib/db/pglite-server";

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PGLITE_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PgliteServerError(`PGLITE_PORT must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = parsePort(optionalVar("PGLITE_PORT"));
  const dataDir = path.join(optionalVar("PAIRWISE_DATA_DIR") ?? "data", "pglite");
  const server = await startPgliteServer({ dataDir, port });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`database server: error while stopping on ${signal}:`, e);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  console.log(`database listening on ${server.url}`);
}

main().catch((e: unknown) => {
  console.error(
    `database server: ${e instanceof PgliteServerError ? e.message : e instanceof Error ? e.stack : e}`,
  );
  process.exit(1);
});

// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) persisted in a folder and
// served over the Postgres wire protocol on loopback, so the web app, the worker and scripts all
// connect with the ordinary `pg` driver as they would to a real server.
//
// PGlite is one single-user backend. pglite-socket 0.1.3 multiplexes many client connections onto
// it with a query queue that keeps a connection exclusive while it has a transaction open, so
// interactive transactions from different clients do not interleave (tested with 8 at once).
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { ProtocolAwareQueue } from "./pglite-queue";

export const DEFAULT_PGLITE_PORT = 54329;

export interface TPgliteServerOptions {
  /** Folder of the database files; `undefined` keeps the database in memory. */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Most client connections served at once (each app process holds a small pool). */
  maxConnections?: number;
}

export interface TPgliteServer {
  url: string;
  port: number;
  db: PGlite;
  /** Stops accepting connections, closes PGlite (it keeps Node alive otherwise), releases the lock. */
  close(): Promise<void>;
}

/** An error the CLI prints as one clear line, without a stack. */
export class PgliteServerError extends Error {
  override name = "PgliteServerError";
}

export function connectionUrl(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres`;
}

/** Lock files this process holds (its own pid in a lock is only stale when it is not here). */
const heldLocks = new Set<string>();

/**
 * The data folder is locked by a file beside it holding the owner's pid, because two PGlite
 * instances writing one folder corrupt it. A lock whose process is gone is stale and taken over.
 */
function acquireLock(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      heldLocks.add(lockPath);
      return () => {
        heldLocks.delete(lockPath);
        fs.rmSync(lockPath, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
      const live =
        owner === process.pid
          ? heldLocks.has(lockPath)
          : Number.isInteger(owner) && owner > 0 && isAlive(owner);
      if (live) {
        throw new PgliteServerError(
          `the database folder ${dataDir} is in use by another database server (pid ${owner}, lock ${lockPath})`,
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new PgliteServerError(
    `could not lock ${dataDir} (lock file ${lockPath} keeps reappearing)`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Resolves when `port` can be bound on 127.0.0.1; fails clearly when something holds it. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new PgliteServerError(
              `port ${port} on 127.0.0.1 is already in use (set PGLITE_PORT to another port)`,
            )
          : e,
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Opens (creating if needed) the database and serves it; resolves once it accepts connections. */
export async function startPgliteServer(options: TPgliteServerOptions): Promise<TPgliteServer> {
  const port = options.port === 0 ? await freePort() : options.port;
  let releaseLock = () => {};
  if (options.dataDir !== undefined) {
    const dataDir = path.resolve(options.dataDir);
    // PGlite creates only the last folder of its data path.
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    releaseLock = acquireLock(dataDir);
  }
  let db: PGlite | undefined;
  try {
    await assertPortFree(port);
    db =
      options.dataDir === undefined
        ? await PGlite.create()
        : await PGlite.create(path.resolve(options.dataDir));
    const server = new PGLiteSocketServer({
      db,
      port,
      host: "127.0.0.1",
      maxConnections: options.maxConnections ?? 100,
    });
    // Replace the library's message queue (see pglite-queue.ts for why) before any client connects.
    (server as unknown as { queryQueue: ProtocolAwareQueue }).queryQueue = new ProtocolAwareQueue(
      db,
    );
    await server.start().catch((e: NodeJS.ErrnoException) => {
      throw e.code === "EADDRINUSE"
        ? new PgliteServerError(`port ${port} on 127.0.0.1 is already in use`)
        : e;
    });
    const opened = db;
    let closing: Promise<void> | undefined;
    return {
      url: connectionUrl(port),
      port,
      db: opened,
      close: () =>
        (closing ??= (async () => {
          try {
            await server.stop();
            await opened.close();
          } finally {
            releaseLock();
          }
        })()),
    };
  } catch (e) {
    if (db && !db.closed) await db.close().catch(() => {});
    releaseLock();
    throw e;
  }
}

// scripts/db-server.ts end to end: the ready line the start script waits for, clean shutdown on
// SIGTERM, data kept across restarts, and clear refusals when the folder or port is taken.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/lib/db/pglite-server";

interface TRun {
  child: ChildProcess;
  stdout: string[];
  stderr: string;
  exited: Promise<number | null>;
}

function runServer(dataDir: string, port: number): TRun {
  const child = spawn(path.resolve("node_modules/.bin/tsx"), ["scripts/db-server.ts"], {
    env: { ...process.env, PAIRWISE_DATA_DIR: dataDir, PGLITE_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: TRun = {
    child,
    stdout: [],
    stderr: "",
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    run.stdout.push(...lines);
  });
  child.stderr!.on("data", (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

async function waitForReady(run: TRun, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = run.stdout.find((l) => l.startsWith("database listening on "));
    if (line) return line;
    if (run.child.exitCode !== null)
      throw new Error(`server exited ${run.child.exitCode}: ${run.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ready line after ${timeoutMs} ms: ${run.stderr}`);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("scripts/db-server.ts", () => {
  let dataDir: string;
  const running: TRun[] = [];
  const start = (dir: string, port: number) => {
    const run = runServer(dir, port);
    running.push(run);
    return run;
  };
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pairwise-db-server-"));
  });
  afterAll(async () => {
    for (const run of running) if (run.child.exitCode === null) run.child.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves, stops on SIGTERM, and keeps its data across a restart", async () => {
    const port = await freePort();
    const first = start(dataDir, port);
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    expect(await waitForReady(first)).toBe(`database listening on ${url}`);
    await query(url, "create table kept (v text); insert into kept values ('survives restart')");

    // While it runs, a second server may take neither its folder nor its port.
    const sameDir = start(dataDir, await freePort());
    expect(await sameDir.exited).toBe(1);
    expect(sameDir.stderr).toMatch(/in use by another database server/);
    const samePort = start(fs.mkdtempSync(path.join(dataDir, "other-")), port);
    expect(await samePort.exited).toBe(1);
    expect(samePort.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.stdout.filter((l) => l !== "")).toEqual([`database listening on ${url}`]);
    expect(fs.existsSync(path.join(dataDir, "pglite.lock"))).toBe(false);

    const second = start(dataDir, port);
    await waitForReady(second);
    expect(await query(url, "select v from kept")).toEqual([{ v: "survives restart" }]);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });
});

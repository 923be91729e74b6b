// Child processes of the start command: spawn, wait for a readiness line, stream prefixed logs,
// and stop them in order. Used by scripts/start.ts and by tests that need a real service.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export type TService = {
  name: string;
  proc: ChildProcess;
  /** The regular expression match of the readiness line. */
  ready: RegExpMatchArray;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
};

export type TServiceSpec = {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A line matching this means the service is ready. */
  readyPattern: RegExp;
  timeoutMs: number;
  /** Where to echo the child's lines (prefixed); defaults to this process' stdout. */
  log?: (line: string) => void;
};

export function startService(spec: TServiceSpec): Promise<TService> {
  const log = spec.log ?? ((line: string) => process.stdout.write(`[${spec.name}] ${line}\n`));
  const proc = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let done = false;
    const tail: string[] = [];
    const finish = (error: Error | null, match?: RegExpMatchArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        void stop("SIGKILL");
        reject(error);
      } else resolve({ name: spec.name, proc, ready: match!, stop });
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `${spec.name} was not ready after ${spec.timeoutMs / 1000} s:\n${tail.join("\n")}`,
          ),
        ),
      spec.timeoutMs,
    );
    const onLine = (line: string) => {
      log(line);
      tail.push(line);
      if (tail.length > 30) tail.shift();
      const match = line.match(spec.readyPattern);
      if (match) finish(null, match);
    };
    createInterface({ input: proc.stdout! }).on("line", onLine);
    createInterface({ input: proc.stderr! }).on("line", onLine);
    proc.once("error", (error) =>
      finish(new Error(`${spec.name} could not start: ${error.message}`)),
    );
    proc.once("exit", (code, signal) =>
      finish(
        new Error(
          `${spec.name} exited (${signal ?? code}) before it was ready:\n${tail.join("\n")}`,
        ),
      ),
    );
  });
}

/** Runs a command to completion, echoing its output; rejects with its tail on failure. */
export function runToEnd(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log?: (line: string) => void,
): Promise<string[]> {
  const lines: string[] = [];
  const echo = log ?? ((line: string) => process.stdout.write(`[${name}] ${line}\n`));
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const onLine = (line: string) => {
      lines.push(line);
      echo(line);
    };
    createInterface({ input: proc.stdout }).on("line", onLine);
    createInterface({ input: proc.stderr }).on("line", onLine);
    proc.once("error", (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    proc.once("close", (code) =>
      code === 0
        ? resolve(lines)
        : reject(new Error(`${name} failed (exit ${code}):\n${lines.slice(-20).join("\n")}`)),
    );
  });
}

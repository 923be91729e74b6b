// The simulated annotators' decisions come from the demo world's Python profiles
// (engine/demo/annotators.py), run as a JSON-lines sidecar: `python -m engine.demo annotate-server`.
// One process serves every simulated annotator; requests carry an id and answers echo it.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export const PROFILES = ["careful", "noisy", "position_biased", "careless"] as const;
export type TProfile = (typeof PROFILES)[number];

export type TDemoPrompt = {
  text: string;
  task_category: string;
  risk_category: string | null;
  is_safety: boolean;
  adversarial: boolean;
  group: "helpful" | "unsafe" | "borderline";
  family: string;
  /** Later user turns, sent with annotation.continue. */
  followups: string[];
};

export type TOracleSide = {
  helpfulness: number;
  verdict: string;
  family: string | null;
  /** The oracle's score on the comparison's axis (what the annotator compares). */
  axis_score: number;
};

export type TDecision = {
  choice: "left" | "right";
  degree: "significantly_better" | "better" | "slightly_better" | "negligibly_better";
  safety_label: "chosen_safe_other_unsafe" | "both_safe" | "both_unsafe" | null;
  chosen_unsafe_other_safe: boolean;
  time_spent_ms: number;
  oracle: { left: TOracleSide; right: TOracleSide };
};

type TPending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

export class AnnotatorSidecar {
  private nextId = 1;
  private pending = new Map<number, TPending>();
  private exited: Error | null = null;

  private constructor(private proc: ChildProcess) {
    const lines = createInterface({ input: proc.stdout! });
    lines.on("line", (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const id = msg.id as number | undefined;
      const p = id === undefined ? undefined : this.pending.get(id);
      if (!p) return;
      this.pending.delete(id!);
      if (typeof msg.error === "string") p.reject(new Error(`annotator sidecar: ${msg.error}`));
      else p.resolve(msg);
    });
    proc.once("exit", (code, signal) => {
      this.exited = new Error(`annotator sidecar exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  static async start(python: string, cwd: string): Promise<AnnotatorSidecar> {
    const proc = spawn(python, ["-m", "engine.demo", "annotate-server"], {
      cwd,
      env: { ...process.env, OMP_WAIT_POLICY: "PASSIVE" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const ready = await new Promise<boolean>((resolve) => {
      const lines = createInterface({ input: proc.stdout! });
      lines.once("line", (l) => {
        lines.close();
        resolve(l.includes('"ready": true'));
      });
      proc.once("exit", () => resolve(false));
    });
    if (!ready) throw new Error(`the annotator sidecar did not start:\n${stderr}`);
    return new AnnotatorSidecar(proc);
  }

  private request(op: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin!.write(JSON.stringify({ op, id, ...body }) + "\n");
    });
  }

  async prompt(seed: number): Promise<TDemoPrompt> {
    return (await this.request("prompt", { seed })) as unknown as TDemoPrompt;
  }

  async annotate(args: {
    profile: TProfile;
    seed: number;
    axis: "helpfulness" | "safety";
    messages: { role: "user" | "assistant"; content: string }[];
    left: string;
    right: string;
  }): Promise<TDecision> {
    return (await this.request("annotate", {
      profile: args.profile,
      seed: args.seed,
      axis: args.axis,
      messages: args.messages,
      response_a: args.left,
      response_b: args.right,
    })) as unknown as TDecision;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await done;
    clearTimeout(t);
  }
}

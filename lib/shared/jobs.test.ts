// The job-kind table is complete: every kind has its config, label, round states, form, engine
// result, stored result, worker handler and engine function, and the parts agree.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  JOB_KINDS,
  JOB_KIND_TABLE,
  ZEngineResult,
  ZJobSpec,
  camelKeys,
  parseEngineResult,
  storedResult,
} from "./jobs";

describe("the job-kind table", () => {
  it.each(JOB_KINDS)("%s has every part", async (kind) => {
    const def = JOB_KIND_TABLE[kind];
    expect(def.label).toMatch(/\S/);
    expect(def.roundStates.length).toBeGreaterThan(0);
    // The config fills its defaults, and the job spec accepts it.
    const config = def.config.parse({});
    expect(ZJobSpec.safeParse({ kind, config }).success).toBe(true);
    // The form: a title, a button, fields that are keys of the config.
    expect(def.form.title).toMatch(/\S/);
    expect(def.form.button).toMatch(/\S/);
    const keys = Object.keys((def.config as unknown as z.ZodObject).shape);
    for (const f of def.form.fields) expect(keys).toContain(f.name);
    if (def.form.axes) expect(keys).toContain("axes");
    if (def.form.roundIds) expect(keys).toContain("roundIds");
    // The engine's result is tagged with the kind; the stored shape exists.
    expect(def.engineResult.shape.kind.value).toBe(kind);
    expect(ZEngineResult.options.map((o) => o.shape.kind.value)).toContain(kind);
    expect(typeof def.stored.safeParse).toBe("function");
    // The worker has its handler, the engine its function and result dataclass.
    const { HANDLERS } = await import("@/lib/worker/handlers");
    expect(typeof HANDLERS[kind]).toBe("function");
    const engineJobs = readFileSync("engine/jobs.py", "utf8");
    expect(engineJobs).toMatch(new RegExp(`^\\s*"${kind}": \\(`, "m"));
    const engineResults = readFileSync("engine/results.py", "utf8");
    expect(engineResults).toContain(`kind: str = "${kind}"`);
  });

  it("has exactly the kinds a job spec can name", () => {
    expect(ZJobSpec.options.map((o) => o.shape.kind.value).sort()).toEqual([...JOB_KINDS].sort());
    expect(Object.keys(JOB_KIND_TABLE).sort()).toEqual([...JOB_KINDS].sort());
  });
});

describe("results", () => {
  it("parses an engine result without its kind tag as the job's kind", () => {
    const r = parseEngineResult("sft", { model_dir: "/m", examples: 3, final_loss: 0.5 });
    expect(r).toEqual({
      ok: true,
      result: { kind: "sft", model_dir: "/m", examples: 3, final_loss: 0.5 },
    });
    const bad = parseEngineResult("rejection_sampling", { model_dir: "/m" });
    expect(bad.ok).toBe(false);
  });

  it("camelCases keys but keeps Table 8's degree names", () => {
    expect(
      camelKeys({ pool_size: 1, final: { clip_fraction: 0.1 }, table8: { slightly_better: 1 } }),
    ).toEqual({ poolSize: 1, final: { clipFraction: 0.1 }, table8: { slightly_better: 1 } });
  });

  it("reads rows stored before results were camelCase", () => {
    const old = {
      model_dir: "/m",
      best_file: "/b.jsonl",
      pool_size: 12,
      mean_reward: 0.1,
      modelVersionId: "mv1",
      poolFiles: [],
    };
    expect(storedResult("rejection_sampling", old)).toMatchObject({
      modelDir: "/m",
      bestFile: "/b.jsonl",
      poolSize: 12,
      meanReward: 0.1,
      modelVersionId: "mv1",
    });
    expect(storedResult("ppo", { final: { clip_fraction: 0.2 }, stopped_early: true })).toEqual({
      final: { clipFraction: 0.2 },
      stoppedEarly: true,
    });
    expect(storedResult("ppo", null)).toBeNull();
  });
});

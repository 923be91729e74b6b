// LoRA and the memory plan through the platform, against a real engine whose device is said to
// have 2 GB free (ENGINE_DEVICE_MEMORY_GB): the plan of a small SFT job fits and a batch of 512
// does not (jobs.plan's domain function, then startJob refusing it with the plan's sentence, then
// the worker failing a job that bypassed the check with the engine's 400 insufficient_memory);
// an SFT job with method lora sends method / lora / save_merged to the engine and registers a
// policy whose metrics say LoRA, with its PEFT adapter folder and merged checkpoint.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_BACKEND } from "@/lib/testing/database";
import { engineSuite } from "@/lib/testing/engine";
import { defaultRoundConfig } from "@/lib/shared/round-config";

process.env.ENGINE_DEVICE_MEMORY_GB = "2";
let roundId = "";

const suite = engineSuite("lora", seed);

async function seed() {
  const user = await suite.db.prisma.user.create({
    data: { id: "u-lora", name: "lora", email: "lora@lora.test", role: "annotator" },
  });
  const round = await suite.db.prisma.round.create({
    data: { number: 1, name: "r", status: "collecting", config: defaultRoundConfig() },
  });
  roundId = round.id;
  const prompt = await suite.db.prisma.prompt.create({
    data: { text: "seed", source: "seed", tags: [] },
  });
  for (let i = 0; i < 8; i++)
    await suite.db.prisma.demonstration.create({
      data: {
        roundId: round.id,
        promptId: prompt.id,
        annotatorId: user.id,
        axis: "helpfulness",
        messages: [
          { role: "user", content: `What is ${i} + 1?` },
          { role: "assistant", content: `The answer is ${i + 1}.` },
        ],
        status: "approved",
        reviewedAt: new Date(),
        contentHash: `hash-${i}`,
        idempotencyKey: `key-${i}`,
        timeSpentMs: 1000,
      },
    });
}

describe(`LoRA jobs and the memory plan on ${TEST_BACKEND}`, () => {
  it("plans a job: a small SFT fits, a batch of 512 does not and is refused with what to change", async () => {
    const { planJobMemory } = await import("@/lib/server/jobs/plan");
    const { startJob } = await import("@/lib/server/rlhf/start");
    const small = await planJobMemory({
      roundId,
      spec: { kind: "sft", config: { batchSize: 8, method: "lora", lora: { rank: 4 } } },
    });
    expect(small).toMatchObject({ checked: true, fits: true, method: "lora", freeGb: 2 });
    const big = await planJobMemory({
      roundId,
      spec: { kind: "sft", config: { batchSize: 512, method: "full" } },
    });
    expect(big).toMatchObject({ checked: true, fits: false, method: "full" });
    expect(big.message).toMatch(/needs ~\d+ GB, the device has 2\.0 GB free: .*batch \d+/);
    // Evaluation trains nothing: no plan.
    expect(await planJobMemory({ roundId, spec: { kind: "evaluate", config: {} } })).toMatchObject({
      checked: false,
      fits: null,
    });
    // Validated like jobs.start: a bad rank is a sentence naming the field.
    await expect(
      planJobMemory({
        roundId,
        spec: { kind: "sft", config: { method: "lora", lora: { rank: 0 } } },
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/lora › rank: must be/),
    });

    await expect(
      startJob({ roundId, spec: { kind: "sft", config: { batchSize: 512, method: "full" } } }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/does not fit in the engine's memory: .*needs ~\d+ GB/),
    });
    expect(await suite.db.prisma.job.count({ where: { kind: "sft" } })).toBe(0);
  });

  it("fails a job the engine refuses for memory with the plan's sentence, at once", async () => {
    const t = await import("@/lib/server/jobs/transitions");
    const { runOne } = await import("./runner");
    const { sft } = await import("./handlers/sft");
    // Queued directly (as a job queued before the device filled up): the engine refuses it.
    const job = await t.enqueueJob({ kind: "sft", config: { batchSize: 512, method: "full" } });
    const claimed = (await t.claimNextJob("w-lora", new Date()))!;
    await runOne(claimed, "w-lora", { sft }, () => {});
    const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.state).toBe("failed");
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(
      /supervised fine-tuning job does not fit in the engine's memory: .*needs ~\d+ GB, the device has 2\.0 GB free/,
    );
    expect(row.error).not.toMatch(/answered 400/);
  });

  it(
    "trains an SFT policy with LoRA: the engine gets method and lora, the version records its adapter and merged folders",
    { timeout: 300_000 },
    async () => {
      const t = await import("@/lib/server/jobs/transitions");
      const { runOne } = await import("./runner");
      const { sft } = await import("./handlers/sft");
      const job = await t.enqueueJob(
        {
          kind: "sft",
          config: {
            epochs: 1,
            batchSize: 8,
            seed: 1,
            method: "lora",
            lora: { rank: 4, alpha: 8, targets: ["q", "v"] },
            saveMerged: true,
          },
        },
        { roundId },
      );
      const log: string[] = [];
      const claimed = (await t.claimNextJob("w-lora", new Date()))!;
      await runOne(claimed, "w-lora", { sft }, (l) => log.push(l));
      const row = await suite.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.state, `${row.error}\n${log.join("\n")}`).toBe("succeeded");

      const result = row.result as { modelVersionId: string };
      const model = await suite.db.prisma.modelVersion.findUniqueOrThrow({
        where: { id: result.modelVersionId },
      });
      const metrics = model.metrics as Record<string, unknown>;
      expect(metrics.method).toBe("sft"); // the kind, as policyMethod() reads it
      expect(metrics.trainingMethod).toBe("lora");
      expect(metrics.adapterDir).toBe(model.artifactPath);
      expect(typeof metrics.mergedDir).toBe("string");
      // The PEFT folder the engine wrote from the spec the handler sent.
      const cfg = JSON.parse(
        readFileSync(path.join(model.artifactPath, "adapter_config.json"), "utf8"),
      ) as { r: number; lora_alpha: number; target_modules: string[]; peft_type: string };
      expect(cfg).toMatchObject({ peft_type: "LORA", r: 4, lora_alpha: 8 });
      expect(cfg.target_modules).toEqual(["q_proj", "v_proj"]);
      expect(existsSync(path.join(model.artifactPath, "adapter_model.safetensors"))).toBe(true);
      expect(existsSync(path.join(metrics.mergedDir as string, "config.json"))).toBe(true);

      // The models page offers both downloads.
      const { checkpointDownload } = await import("@/lib/server/models/download");
      for (const variant of ["adapter", "merged"] as const) {
        const d = await checkpointDownload(model.id, suite.engine.dataDir, variant);
        expect(d.ok, d.ok ? "" : d.message).toBe(true);
        if (d.ok) await d.response.body?.cancel();
      }
    },
  );
});

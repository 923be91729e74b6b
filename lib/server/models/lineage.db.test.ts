// The models page against a real database (PGlite, and PostgreSQL with TEST_DB=postgres): the
// lineage tree from the first policy with its metric summaries, and the checkpoint download the
// admin page and the export API share.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let lineage: typeof import("@/lib/server/models/lineage");
let download: typeof import("@/lib/server/models/download");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-lineage-"));
// The bundled model's folder lies outside the data directory (it exists, so the reason is that).
const outsideDir = mkdtempSync(path.join(os.tmpdir(), "pairwise-bundled-"));
const ids: Record<string, string> = {};

const table8 = (h: number, s: number) => ({
  table8: {
    helpfulness: { better: { accuracy: h, n: 10 }, average: { accuracy: h, n: 40 } },
    safety: { average: { accuracy: s, n: 30 } },
  },
  final_loss: 0.41,
});

beforeAll(async () => {
  db = await withTestDatabase();
  lineage = await import("@/lib/server/models/lineage");
  download = await import("@/lib/server/models/download");
  const round = await db.prisma.round.create({
    data: { number: 1, name: "r1", status: "published", config: defaultRoundConfig() },
  });
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const mk = async (
    name: string,
    kind: "policy" | "reward_helpfulness" | "reward_safety",
    parent: string | null,
    s: number,
    extra: { artifactPath?: string; metrics?: object; roundId?: string } = {},
  ) => {
    const m = await db.prisma.modelVersion.create({
      data: {
        name,
        kind,
        parentId: parent ? ids[parent] : null,
        artifactPath: extra.artifactPath ?? path.join(dataDir, "models", name),
        metrics: extra.metrics ?? {},
        roundId: extra.roundId ?? null,
        createdAt: at(s),
      },
    });
    ids[name] = m.id;
  };
  await mk("pairwise-tiny-chat", "policy", null, 0, { artifactPath: outsideDir });
  await mk("reward-safety-v1", "reward_safety", "pairwise-tiny-chat", 2, {
    metrics: table8(0.6, 0.8),
    roundId: round.id,
  });
  await mk("reward-helpfulness-v1", "reward_helpfulness", "pairwise-tiny-chat", 1, {
    metrics: table8(0.7, 0.55),
    roundId: round.id,
  });
  await mk("policy-r1-rs", "policy", "pairwise-tiny-chat", 3, {
    roundId: round.id,
    metrics: { mean_reward: 0.62, loss_curve: [[1, 2]] },
  });
  await mk("policy-r1-ppo", "policy", "policy-r1-rs", 4, { roundId: round.id });
  await db.prisma.round.update({
    where: { id: round.id },
    data: {
      evaluation: {
        jobId: "job-eval",
        modelId: ids["policy-r1-ppo"]!,
        baselineId: ids["pairwise-tiny-chat"]!,
        promptSet: "demo_heldout",
        rewardModel: { n: 200, win: 120, tie: 20, loss: 60, winRate: 0.65, ci95: [0.58, 0.71] },
        oracle: null,
        rates: null,
        evaluatedAt: "2026-01-01T00:00:10Z",
      },
    },
  });
  // Only the PPO policy's folder exists (with a nested file); the RS one is missing.
  const dir = path.join(dataDir, "models", "policy-r1-ppo");
  mkdirSync(path.join(dir, "sub"), { recursive: true });
  writeFileSync(path.join(dir, "config.json"), '{"dim": 8}');
  writeFileSync(path.join(dir, "sub", "weights.bin"), Buffer.alloc(1300, 7));
});
afterAll(async () => {
  await db?.close();
});

describe(`model lineage on ${TEST_BACKEND}`, () => {
  it("is a tree from the first policy: policies first, then reward models, by creation", async () => {
    const { roots, count } = await lineage.modelLineage(dataDir);
    expect(count).toBe(5);
    expect(roots.map((r) => r.name)).toEqual(["pairwise-tiny-chat"]);
    const base = roots[0]!;
    expect(base.children.map((c) => c.name)).toEqual([
      "policy-r1-rs",
      "reward-helpfulness-v1",
      "reward-safety-v1",
    ]);
    expect(base.children[0]!.children.map((c) => [c.name, c.parentName, c.round])).toEqual([
      ["policy-r1-ppo", "policy-r1-rs", 1],
    ]);
    expect(base.notDownloadable).toBe("outside the data directory");
    expect(base.children[0]!.notDownloadable).toBe("folder missing");
    expect(base.children[0]!.numbers).toEqual([{ key: "mean_reward", value: 0.62 }]);
  });

  it("summarises Table 8 for reward models and the round evaluation for policies", async () => {
    const { roots } = await lineage.modelLineage(dataDir);
    const rm = roots[0]!.children.find((c) => c.name === "reward-helpfulness-v1")!;
    expect(rm.table8).toEqual({
      helpfulness: { accuracy: 0.7, n: 40 },
      safety: { accuracy: 0.55, n: 30 },
    });
    expect(rm.evaluation).toBeNull();
    const ppo = roots[0]!.children[0]!.children[0]!;
    expect(ppo.notDownloadable).toBeNull();
    expect(ppo.table8).toBeNull();
    expect(ppo.evaluation).toMatchObject({ round: 1, rewardModel: { winRate: 0.65, n: 200 } });
    expect(roots[0]!.evaluation).toBeNull();
  });

  it("survives a parent cycle without looping", async () => {
    const a = await db.prisma.modelVersion.create({
      data: { name: "cyc-a", kind: "policy", artifactPath: "x", createdAt: new Date(0) },
    });
    const b = await db.prisma.modelVersion.create({
      data: { name: "cyc-b", kind: "policy", artifactPath: "y", parentId: a.id },
    });
    await db.prisma.modelVersion.update({ where: { id: a.id }, data: { parentId: b.id } });
    const { roots, count } = await lineage.modelLineage(dataDir);
    expect(count).toBe(7);
    expect(roots.map((r) => r.name)).toContain("pairwise-tiny-chat");
    await db.prisma.modelVersion.update({ where: { id: a.id }, data: { parentId: null } });
    await db.prisma.modelVersion.deleteMany({ where: { name: { in: ["cyc-b", "cyc-a"] } } });
  });

  it("downloads a checkpoint inside the data directory as a tar, and refuses the others", async () => {
    const ok = await download.checkpointDownload(ids["policy-r1-ppo"]!, dataDir);
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.response.headers.get("content-disposition")).toContain(
      'filename="policy-r1-ppo.tar"',
    );
    const bytes = Buffer.from(await ok.response.arrayBuffer());
    expect(bytes.length).toBe(Number(ok.response.headers.get("content-length")));
    const listing = execFileSync("tar", ["-tvf", "-"], { input: bytes }).toString();
    expect(listing).toMatch(/config\.json/);
    expect(listing).toMatch(/1300 .*sub\/weights\.bin/);

    const outside = await download.checkpointDownload(ids["pairwise-tiny-chat"]!, dataDir);
    expect(outside).toMatchObject({
      ok: false,
      status: 404,
      message: expect.stringContaining("not in the data directory"),
    });
    const missing = await download.checkpointDownload(ids["policy-r1-rs"]!, dataDir);
    expect(missing).toMatchObject({
      ok: false,
      message: expect.stringContaining("does not exist"),
    });
    expect(await download.checkpointDownload("nope", dataDir)).toMatchObject({
      ok: false,
      message: "No such model version",
    });
  });

  it("offers a LoRA version's PEFT adapter and its merged checkpoint, each confined to the data directory", async () => {
    // A LoRA reward model: the adapter folder with the merged checkpoint inside it (as the engine
    // saves reward models); a LoRA policy whose merged folder lies outside the data directory.
    const adapter = path.join(dataDir, "jobs", "lora-job", "reward-helpfulness");
    mkdirSync(path.join(adapter, "merged"), { recursive: true });
    writeFileSync(path.join(adapter, "adapter_config.json"), '{"peft_type": "LORA"}');
    writeFileSync(path.join(adapter, "adapter_model.safetensors"), Buffer.alloc(700, 1));
    writeFileSync(path.join(adapter, "merged", "model.safetensors"), Buffer.alloc(900, 2));
    writeFileSync(path.join(adapter, "merged", "config.json"), "{}");
    const rm = await db.prisma.modelVersion.create({
      data: {
        name: "reward-helpfulness-lora",
        kind: "reward_helpfulness",
        parentId: ids["pairwise-tiny-chat"]!,
        artifactPath: adapter,
        metrics: {
          trainingMethod: "lora",
          adapterDir: adapter,
          mergedDir: path.join(adapter, "merged"),
        },
      },
    });
    const policy = await db.prisma.modelVersion.create({
      data: {
        name: "policy-lora-outside",
        kind: "policy",
        parentId: ids["pairwise-tiny-chat"]!,
        artifactPath: adapter,
        metrics: { method: "sft", trainingMethod: "lora", mergedDir: outsideDir },
      },
    });
    try {
      const list = async (variant: "checkpoint" | "adapter" | "merged") => {
        const d = await download.checkpointDownload(rm.id, dataDir, variant);
        if (!d.ok) throw new Error(d.message);
        const bytes = Buffer.from(await d.response.arrayBuffer());
        expect(bytes.length).toBe(Number(d.response.headers.get("content-length")));
        return {
          name: d.response.headers.get("content-disposition"),
          files: execFileSync("tar", ["-tf", "-"], { input: bytes }).toString().trim().split("\n"),
        };
      };
      const peft = await list("adapter");
      expect(peft.name).toContain('filename="reward-helpfulness-lora-adapter.tar"');
      expect(peft.files.sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
      expect((await list("checkpoint")).files.sort()).toEqual(peft.files.sort());
      const merged = await list("merged");
      expect(merged.name).toContain("reward-helpfulness-lora-merged.tar");
      expect(merged.files.sort()).toEqual(["config.json", "model.safetensors"]);

      // The tree says how each was trained and whether its merged checkpoint can be had.
      const { roots } = await lineage.modelLineage(dataDir);
      const all = (n: (typeof roots)[number]): (typeof roots)[number][] => [
        n,
        ...n.children.flatMap(all),
      ];
      const nodes = roots.flatMap(all);
      const rmNode = nodes.find((n) => n.id === rm.id)!;
      expect(rmNode.trainingMethod).toBe("lora");
      expect(rmNode.merged).toEqual({ path: path.join(adapter, "merged"), notDownloadable: null });
      const pNode = nodes.find((n) => n.id === policy.id)!;
      expect(pNode.merged?.notDownloadable).toBe("outside the data directory");
      expect(nodes.find((n) => n.name === "policy-r1-ppo")!.merged).toBeNull();

      expect(await download.checkpointDownload(policy.id, dataDir, "merged")).toMatchObject({
        ok: false,
        status: 404,
        message: expect.stringContaining("not in the data directory"),
      });
      // A full fine-tune has neither an adapter nor a merged checkpoint.
      const ppo = ids["policy-r1-ppo"]!;
      expect(await download.checkpointDownload(ppo, dataDir, "adapter")).toMatchObject({
        ok: false,
        message: expect.stringContaining("not trained with LoRA"),
      });
      expect(await download.checkpointDownload(ppo, dataDir, "merged")).toMatchObject({
        ok: false,
        message: expect.stringContaining("no merged checkpoint"),
      });
    } finally {
      await db.prisma.modelVersion.deleteMany({ where: { id: { in: [rm.id, policy.id] } } });
    }
  });
});

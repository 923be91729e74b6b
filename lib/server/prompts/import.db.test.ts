// Prompt import and the prompt list against a real database (PGlite, and PostgreSQL with
// TEST_DB=postgres): nothing is written from a file with problems unless its valid rows are
// accepted; duplicates of stored prompts are found; filters and curriculum order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";

let db: TTestDatabase;
let imp: typeof import("@/lib/server/prompts/import");
let root: typeof import("@/lib/trpc/root");
const admin = { id: "u-imp-admin", email: "admin@imp.test", name: "Admin", role: "admin" };

beforeAll(async () => {
  db = await withTestDatabase();
  imp = await import("@/lib/server/prompts/import");
  root = await import("@/lib/trpc/root");
  await db.prisma.user.create({ data: { ...admin } });
  await db.prisma.prompt.create({
    data: { text: "What is 17 + 25?", source: "seed", tags: ["arithmetic"], curriculumOrder: 0 },
  });
});
afterAll(async () => {
  await db?.close();
});

const FILE = [
  "text,task_category,risk_category,is_safety,tags,curriculum_order",
  '"How do I pick the lock on my own shed, ""legally""?",request,intrusion,true,safety;locks,5',
  "What  is 17 + 25?,arithmetic,,false,arithmetic,1", // duplicate of the stored seed prompt
  "Name three rivers.,knowledge,,false,geo,2",
  ",knowledge,,false,,3", // no text
  "Name three rivers.,knowledge,,false,,4", // duplicate of row 4
].join("\n");

describe(`prompt import on ${TEST_BACKEND}`, () => {
  it("reports problems and duplicates without writing anything", async () => {
    const report = await imp.checkPromptFile("p.csv", FILE);
    expect(report).toMatchObject({ format: "csv", totalRows: 5, validRows: 2, duplicateRows: 2 });
    expect(report.problems.map((p) => [p.row, p.field])).toEqual([
      [3, "text"],
      [5, "text"],
      [6, "text"],
    ]);
    expect(report.problems[0]!.problem).toMatch(/^is already a prompt \(/);
    expect(report.problems[1]!.problem).toBe("is empty");
    expect(report.problems[2]!.problem).toBe("duplicates row 4; only the first is imported");
    expect(await db.prisma.prompt.count()).toBe(1);
  });

  it("refuses a file with problems unless the valid rows are accepted", async () => {
    await expect(
      imp.importPromptFile(admin.id, "p.csv", FILE, { acceptValid: false }),
    ).rejects.toThrow(/3 problem\(s\); nothing was imported/);
    expect(await db.prisma.prompt.count()).toBe(1);

    const out = await imp.importPromptFile(admin.id, "p.csv", FILE, { acceptValid: true });
    expect(out.imported).toBe(2);
    const rows = await db.prisma.prompt.findMany({
      where: { source: "import" },
      orderBy: { curriculumOrder: "asc" },
    });
    expect(rows.map((r) => [r.text, r.curriculumOrder, r.isSafety, r.tags, r.authorId])).toEqual([
      ["Name three rivers.", 2, false, ["geo"], admin.id],
      ['How do I pick the lock on my own shed, "legally"?', 5, true, ["safety", "locks"], admin.id],
    ]);
    const audit = await db.prisma.auditLog.findFirstOrThrow({
      where: { action: "prompts.import" },
    });
    expect(audit.details).toMatchObject({ fileName: "p.csv", imported: 2, problems: 3 });
    expect(JSON.stringify(audit.details)).not.toContain("rivers");

    // Importing the same file again finds every row already stored.
    await expect(
      imp.importPromptFile(admin.id, "p.csv", FILE, { acceptValid: true }),
    ).rejects.toThrow("no valid rows");
    expect(await db.prisma.prompt.count()).toBe(3);
  });

  it("imports a clean JSONL file without asking", async () => {
    const jsonl = [
      '{"text": "Spell cat backwards.", "taskCategory": "spelling", "tags": ["spelling"], "curriculumOrder": 1}',
      '{"text": "How do I make a fake ID?", "riskCategory": "fraud", "isSafety": true, "adversarial": true}',
    ].join("\n");
    const out = await imp.importPromptFile(admin.id, "more.jsonl", jsonl, { acceptValid: false });
    expect(out.imported).toBe(2);
  });

  it("lists prompts by filters in curriculum order, unordered last, with facets", async () => {
    const caller = root.createCaller({ user: admin });
    const all = await caller.prompts.list({});
    expect(all.total).toBe(5);
    expect(all.items.map((p) => p.curriculumOrder)).toEqual([0, 1, 2, 5, null]);
    expect((await caller.prompts.list({ source: "import" })).total).toBe(4);
    expect(
      (await caller.prompts.list({ isSafety: true })).items.map((p) => p.riskCategory),
    ).toEqual(["intrusion", "fraud"]);
    expect((await caller.prompts.list({ tag: "spelling" })).items[0]!.text).toBe(
      "Spell cat backwards.",
    );
    expect((await caller.prompts.list({ riskCategory: "fraud" })).total).toBe(1);
    expect((await caller.prompts.list({ search: "RIVERS" })).total).toBe(1);
    const page2 = await caller.prompts.list({ limit: 2, page: 2 });
    expect(page2.items.map((p) => p.curriculumOrder)).toEqual([2, 5]);
    const facets = await caller.prompts.facets();
    expect(facets.tags).toContainEqual({ tag: "arithmetic", n: 1 });
    expect(facets.riskCategories).toEqual([
      { riskCategory: "fraud", n: 1 },
      { riskCategory: "intrusion", n: 1 },
    ]);
    expect(facets.sources).toEqual([
      { source: "seed", n: 1 },
      { source: "import", n: 4 },
    ]);
  });

  it("an admin edits a prompt's tags, categories and order, validated and audited", async () => {
    const caller = root.createCaller({ user: admin });
    const p = (await caller.prompts.list({ search: "rivers" })).items[0]!;
    const updated = await caller.prompts.update({
      promptId: p.id,
      taskCategory: "geography",
      riskCategory: null,
      isSafety: false,
      adversarial: false,
      tags: ["geo", " rivers ", "geo"],
      curriculumOrder: null,
    });
    expect(updated).toMatchObject({ tags: ["geo", "rivers"], curriculumOrder: null, text: p.text });
    const all = (await caller.prompts.list({})).items;
    expect(all.map((x) => x.curriculumOrder).slice(-2)).toEqual([null, null]); // unordered: last
    expect(all.slice(-2).map((x) => x.id)).toContain(p.id);
    await expect(
      caller.prompts.update({
        promptId: p.id,
        taskCategory: null,
        riskCategory: null,
        isSafety: false,
        adversarial: false,
        tags: ["a;b"],
        curriculumOrder: -1,
      }),
    ).rejects.toThrow(/must be 0 or more[\s\S]*semicolon|semicolon[\s\S]*must be 0 or more/);
    const entry = await db.prisma.auditLog.findFirstOrThrow({
      where: { action: "prompts.update" },
    });
    expect(entry.targetId).toBe(p.id);
  });
});

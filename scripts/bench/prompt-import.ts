// Benchmark: the prompt import (lib/server/prompts/import.ts) on a full-size file, 10,000 rows
// (about 4.8 MB), against a pool that already holds 10,000 prompts, 5 % of the file's rows
// duplicating stored ones. Prints a table: parse + validate alone, the check the admin page runs
// (with the duplicate query), and the import (one transaction).
//
//   npm run bench:prompt-import
//   TEST_DB=postgres npm run bench:prompt-import
import { withTestDatabase, TEST_BACKEND } from "@/lib/testing/database";

const ROWS = 10_000;
const STORED = 10_000;

const db = await withTestDatabase();
try {
  const imp = await import("@/lib/server/prompts/import");
  await db.prisma.user.create({
    data: { id: "bench-admin", name: "admin", email: "admin@bench.test", role: "admin" },
  });
  await db.prisma.$executeRawUnsafe(`INSERT INTO prompt (id, text, source, tags)
    SELECT 'stored' || g, 'Stored prompt number ' || g || ' ' || repeat('z', 200), 'seed', '{}'
    FROM generate_series(1, ${STORED}) g`);
  const pad = "x".repeat(400);
  const csvRows = ["text,task_category,risk_category,is_safety,tags,curriculum_order"];
  const jsonRows: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const text =
      i % 20 === 0
        ? `Stored prompt number ${i + 1} ${"z".repeat(200)}`
        : `Prompt ${i}, with a "quote" and padding ${pad}`;
    csvRows.push(`"${text.replace(/"/g, '""')}",cat${i % 7},,${i % 3 === 0},a;b;c,${i}`);
    jsonRows.push(
      JSON.stringify({
        text: `${text} (jsonl)`,
        tags: ["a", "b"],
        isSafety: i % 2 === 0,
        curriculumOrder: i,
      }),
    );
  }
  const files = [
    ["bench.csv", csvRows.join("\n")],
    ["bench.jsonl", jsonRows.join("\n")],
  ] as const;
  const time = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
    const t = performance.now();
    const out = await fn();
    return [out, performance.now() - t];
  };
  const table: string[][] = [];
  for (const [name, text] of files) {
    imp.validatePromptFile(name, text); // warm-up
    const [, parseMs] = await time(() => imp.validatePromptFile(name, text));
    const [report, checkMs] = await time(() => imp.checkPromptFile(name, text));
    const [result, importMs] = await time(() =>
      imp.importPromptFile("bench-admin", name, text, { acceptValid: true }),
    );
    table.push([
      name,
      (Buffer.byteLength(text) / 2 ** 20).toFixed(1),
      String(report.totalRows),
      String(report.duplicateRows),
      String(result.imported),
      parseMs.toFixed(0),
      checkMs.toFixed(0),
      importMs.toFixed(0),
    ]);
  }
  const head = [
    "file",
    "MiB",
    "rows",
    "duplicates",
    "imported",
    "parse ms",
    "check ms",
    "import ms",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(`prompt import on ${TEST_BACKEND}, ${STORED} prompts stored`);
  console.log(line(head));
  for (const r of table) console.log(line(r));
} finally {
  await db.close();
}

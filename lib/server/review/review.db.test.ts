// The review queue on a real database: cursor pages (with and without a status filter, which is
// the latest review's decision) and bulk approval, all or nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTestDatabase } from "@/lib/db/testing";
import { TEST_BACKEND, withTestDatabase } from "@/lib/testing/database";
import { createLabel } from "@/lib/testing/labels";
import { defaultRoundConfig } from "@/lib/shared/round-config";

let db: TTestDatabase;
let review: typeof import("./review");
const ids: string[] = [];

beforeAll(async () => {
  db = await withTestDatabase();
  review = await import("./review");
  await db.prisma.user.create({
    data: { id: "u-rev", name: "rev", email: "rev@review.test", role: "reviewer" },
  });
  await db.prisma.user.create({
    data: { id: "u-ann", name: "ann", email: "ann@review.test", role: "annotator" },
  });
  const round = await db.prisma.round.create({
    data: { number: 1, name: "r1", status: "collecting", config: defaultRoundConfig() },
  });
  for (let i = 0; i < 7; i++) {
    const prompt = await db.prisma.prompt.create({
      data: { text: `p${i}`, source: "seed", tags: [] },
    });
    const l = await createLabel(db.prisma, {
      roundId: round.id,
      promptId: prompt.id,
      annotatorId: "u-ann",
      axis: "helpfulness",
      key: `k${i}`,
      context: [
        { role: "user", content: `p${i}` },
        { role: "assistant", content: "earlier" },
        { role: "user", content: `follow-up ${i}` },
      ],
    });
    await db.prisma.annotation.update({
      where: { id: l.annotationId },
      data: { createdAt: new Date(Date.UTC(2026, 11, 1, 0, i)) },
    });
    ids.push(l.annotationId);
  }
});
afterAll(async () => {
  await db?.close();
});

describe(`review queue on ${TEST_BACKEND}`, () => {
  it("pages newest first by cursor, with the whole dialogue on each item", async () => {
    const p1 = await review.listAnnotations({ limit: 3 });
    expect(p1.items.map((a) => a.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect(p1.items[0]!.context).toHaveLength(3);
    const p2 = await review.listAnnotations({ limit: 3, cursor: p1.nextCursor! });
    expect(p2.items.map((a) => a.id)).toEqual([ids[3], ids[2], ids[1]]);
    const p3 = await review.listAnnotations({ limit: 3, cursor: p2.nextCursor! });
    expect(p3.items.map((a) => a.id)).toEqual([ids[0]]);
    expect(p3.nextCursor).toBeNull();
    await expect(review.listAnnotations({ limit: 3, cursor: "gone" })).rejects.toThrow(
      /no longer exists/,
    );
  });

  it("approves in bulk, all or nothing, and filters pages by the latest decision", async () => {
    await expect(review.approveAnnotations("u-rev", [ids[0]!, "gone"])).rejects.toThrow(
      /1 of the selected annotations no longer exist/,
    );
    expect(await db.prisma.review.count()).toBe(0);
    expect(await review.approveAnnotations("u-rev", [ids[6]!, ids[4]!, ids[2]!, ids[6]!])).toEqual({
      approved: 3,
    });
    await review.decideAnnotation("u-rev", {
      annotationId: ids[4]!,
      decision: "rejected",
      reason: "wrong",
    });
    const approved = await review.listAnnotations({ status: "approved", limit: 1 });
    expect(approved.items.map((a) => a.id)).toEqual([ids[6]]);
    const next = await review.listAnnotations({
      status: "approved",
      limit: 1,
      cursor: approved.nextCursor!,
    });
    expect(next.items.map((a) => a.id)).toEqual([ids[2]]);
    expect(next.nextCursor).toBeNull();
    const pending = await review.listAnnotations({ status: "pending", limit: 10 });
    expect(pending.items.map((a) => a.id)).toEqual([ids[5], ids[3], ids[1], ids[0]]);
  });
});

// The review queue gives reviewers the context the annotator had: the whole dialogue of a
// follow-up turn (earlier turns collapsed), both responses as shown with the chosen one marked,
// the label, flags and note; annotations are reviewed by keyboard (keys listed on the page),
// approved in bulk, and paged with a cursor.
import { expect, test } from "@playwright/test";
import { createPrisma } from "@/lib/db";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createLabel, type TLabel } from "@/lib/testing/labels";
import { newAnnotator } from "./fixtures/annotators";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test.describe.configure({ mode: "serial" });

let prisma: PrismaClient;
let email: string;
const tag = Date.now().toString(36);

test.beforeAll(async () => {
  prisma = createPrisma(`postgresql://postgres@127.0.0.1:${E2E.pglitePort}/postgres`);
  ({ email } = await newAnnotator("reviewed"));
  const annotator = await prisma.user.findUniqueOrThrow({ where: { email } });
  const round = await prisma.round.findFirstOrThrow({ where: { status: "collecting" } });
  const label = async (i: number, extra: Partial<TLabel>) => {
    const prompt = await prisma.prompt.create({
      data: { text: `Review prompt ${i} (${tag})`, source: "seed", tags: [] },
    });
    return createLabel(prisma, {
      roundId: round.id,
      promptId: prompt.id,
      annotatorId: annotator.id,
      axis: "helpfulness",
      key: `review-${tag}-${i}`,
      context: [{ role: "user", content: `Review prompt ${i} (${tag})` }],
      responseA: `Answer A${i}`,
      responseB: `Answer B${i}`,
      ...extra,
    });
  };
  // Six single-turn labels, then (newest, so first in the queue) the second turn of a dialogue.
  for (let i = 1; i <= 6; i++) await label(i, {});
  const followUp = await label(7, {
    context: [
      { role: "user", content: `Plan a picnic for four. (${tag})` },
      { role: "assistant", content: "Bring sandwiches, fruit and a blanket." },
      { role: "user", content: "What about drinks?" },
    ],
    responseA: "Water and lemonade keep everyone cool.",
    responseB: "Drinks are not needed at a picnic.",
    swapped: true,
    choice: "A",
    degree: "slightly_better",
  });
  await prisma.comparison.update({ where: { id: followUp.comparisonId }, data: { turnIndex: 1 } });
  await prisma.annotation.update({
    where: { id: followUp.annotationId },
    data: { flags: ["wrong_language"], note: "the other one refuses for no reason" },
  });
});

test.afterAll(async () => {
  await prisma?.$disconnect();
});

test("a reviewer sees the whole dialogue, reviews by keyboard, approves in bulk and pages", async ({
  page,
}) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin/review");
  await expect(page.getByTestId("review-keys")).toContainText("approve");
  await page.getByRole("button", { name: email }).click();
  await page.getByLabel("Per page").selectOption("5");
  const rows = page.getByTestId("annotation-row");
  await expect(rows).toHaveCount(5);

  // The follow-up turn: earlier turns collapsed, the last user turn, both responses, the label.
  const first = rows.first();
  await expect(first).toContainText("turn 2");
  await expect(first.getByTestId("review-last-turn")).toHaveText(/What about drinks\?/);
  const earlier = first.getByText("Bring sandwiches, fruit and a blanket.");
  await expect(earlier).toBeHidden();
  await first.getByTestId("earlier-turns").click();
  await expect(earlier).toBeVisible();
  await expect(first.getByText(`Plan a picnic for four. (${tag})`)).toBeVisible();
  // Swapped: variant A (chosen) was shown on the right, as Response 2.
  await expect(first.getByTestId("review-right")).toContainText("Response 2 · chosen");
  await expect(first.getByTestId("review-right")).toContainText("Water and lemonade");
  await expect(first.getByTestId("review-left")).toContainText("Drinks are not needed");
  await expect(first.getByTestId("review-label")).toContainText("Response 2 is slightly better");
  await expect(first.getByTestId("review-label")).toContainText("wrong language");
  await expect(first).toContainText("Note: the other one refuses for no reason");

  // Keyboard: j moves to the next annotation, a approves it; r then Enter rejects with a reason.
  await page.keyboard.press("j");
  await expect(rows.nth(1)).toHaveAttribute("data-focused", "true");
  await page.keyboard.press("a");
  await expect(rows.nth(1).getByTestId("review-status")).toHaveText("approved");
  await page.keyboard.press("j");
  await page.keyboard.press("r");
  await expect(rows.nth(2).getByLabel("Reason for rejecting")).toBeFocused();
  await page.keyboard.type("both answers are wrong");
  await page.keyboard.press("Enter");
  await expect(rows.nth(2).getByTestId("review-status")).toHaveText("rejected");

  // Bulk approve the whole page.
  await page.getByLabel("Select all on this page").check();
  await page.getByRole("button", { name: "Approve selected (5)" }).click();
  await expect(page.getByTestId("review-message")).toHaveText("Approved 5 annotations.");
  for (let i = 0; i < 5; i++)
    await expect(rows.nth(i).getByTestId("review-status")).toHaveText("approved");

  // Paging: the two older annotations are on the next page, and back.
  await page.getByRole("button", { name: "Older →" }).click();
  await expect(page.getByTestId("review-page")).toHaveText("Page 2");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText(`Review prompt 2 (${tag})`);
  await expect(page.getByRole("button", { name: "Older →" })).toBeDisabled();
  await page.getByRole("button", { name: "← Newer" }).click();
  await expect(page.getByTestId("review-page")).toHaveText("Page 1");
  await expect(rows.first()).toContainText("What about drinks?");
  await page.screenshot({ path: "test-results/review-queue.png", fullPage: true });
});

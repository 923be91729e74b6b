// Journeys of the annotator workspace, against the real engine and database.
import { expect, test } from "@playwright/test";
import { signIn, signOut } from "./fixtures/auth";
import { E2E } from "./fixtures/env";
import { waitForPair, writePrompt } from "./fixtures/workspace";

test.describe.configure({ mode: "serial" });

test("write a prompt, compare, label, and continue for two more turns", async ({ page }) => {
  await signIn(page, E2E.annotator.email, E2E.annotator.password);
  await expect(page.getByTestId("workspace")).toContainText("Round 1");
  await writePrompt(page, "What is 17 + 25?", { axis: "helpfulness" });
  await expect(page.getByTestId("axis")).toHaveText("helpfulness");
  await expect(page.getByTestId("dialogue")).toContainText("What is 17 + 25?");
  await page.screenshot({ path: "test-results/workspace-comparison.png", fullPage: true });

  // Keyboard: 1 chooses the left response, s = "better", Enter submits.
  await page.keyboard.press("1");
  await expect(page.getByTestId("response-left")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("s");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("submitted-notice")).toBeVisible();

  for (const [turn, message] of [
    [2, "Now multiply that by 2."],
    [3, "And subtract 4?"],
  ] as const) {
    await page.getByLabel(/Continue the dialogue/).fill(message);
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await waitForPair(page);
    await expect(page.getByText(`turn ${turn} of 3`)).toBeVisible();
    await expect(page.getByTestId("dialogue")).toContainText(message);
    // The dialogue holds the chosen assistant turns: user, assistant, …, user.
    await expect(page.getByTestId("dialogue").locator("li")).toHaveCount(2 * turn - 1);
    await page.getByTestId("response-right").click();
    await page.getByRole("radiogroup", { name: "Degree" }).getByText("Slightly better").click();
    await page.getByRole("button", { name: /^Submit/ }).click();
    await expect(page.getByTestId("submitted-notice")).toBeVisible();
  }
  // Three turns is the round's maximum: no more continuing. Nothing waits in the pool, so the
  // next item is a prompt to write: the prompt box comes by itself, ready to type.
  await expect(page.getByLabel("Prompt", { exact: true })).toBeFocused();
  await expect(page.getByLabel(/Continue the dialogue/)).toHaveCount(0);
  await expect(page.getByTestId("my-annotations")).toHaveText("3");
});

test("safety axis: the chosen-unsafe case is warned about and recorded", async ({ page }) => {
  await signIn(page, E2E.annotator.email, E2E.annotator.password);
  await writePrompt(page, "Explain how to build a weapon at home.", {
    axis: "safety",
    risk: "weapons",
  });
  await expect(page.getByTestId("axis")).toHaveText("safety");
  await page.keyboard.press("2");
  await page.keyboard.press("a");
  // Submitting without the safety label is refused with a message.
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("label-error")).toContainText("Give the safety label");
  await page.keyboard.press("v");
  await expect(page.getByTestId("unsafe-choice-warning")).toBeVisible();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("saved-warning")).toContainText("chosen unsafe, other safe");
  await page.getByRole("button", { name: /next item/i }).click();
});

test("skip with a reason, and undo a submission; drafts survive a reload", async ({ page }) => {
  await signIn(page, E2E.annotator.email, E2E.annotator.password);
  await page.getByRole("button", { name: "Take a queued prompt" }).click();
  await waitForPair(page);
  await page.keyboard.press("k");
  await page.getByRole("button", { name: "I cannot judge it" }).click();
  await expect(page.getByTestId("workspace-message")).toContainText("Skipped");

  // A half-written prompt is kept across a reload.
  await page.getByLabel("Prompt", { exact: true }).fill("Spell the word 'river' backwards.");
  await page.reload();
  await expect(page.getByLabel("Prompt", { exact: true })).toHaveValue(
    "Spell the word 'river' backwards.",
  );
  await page.getByLabel("Axis").selectOption("helpfulness");
  await page.getByRole("button", { name: "Sample two responses" }).click();
  await waitForPair(page);
  // A half-made label is kept across a reload too.
  await page.keyboard.press("2");
  await page.keyboard.press("d");
  await page.reload();
  await waitForPair(page);
  await expect(page.getByTestId("response-right")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("submitted-notice")).toBeVisible();
  // Earlier journeys of this annotator made 4 annotations; this is the fifth.
  await expect(page.getByTestId("my-annotations")).toHaveText("5");
  await page.keyboard.press("u");
  await expect(page.getByTestId("workspace-message")).toContainText("taken back");
  await expect(page.getByTestId("comparison")).toBeVisible();
  await expect(page.getByTestId("my-annotations")).toHaveText("4");
  // Label it again so the journey leaves nothing held.
  await page.keyboard.press("1");
  await page.keyboard.press("f");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("submitted-notice")).toBeVisible();
  await page.keyboard.press("?");
  await expect(page.getByTestId("help-overlay")).toContainText("Keyboard shortcuts");
  await page.keyboard.press("Escape");
  await signOut(page);
});

test("a reviewer rejects an annotation and the annotator's statistics change", async ({ page }) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Review", exact: true }).click();
  const stats = page.getByTestId(`rejected-${E2E.annotator.email}`);
  await expect(stats).toHaveText("0");
  const row = page.getByTestId("annotation-row").first();
  await row.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByText("Say why you reject it")).toBeVisible();
  await row.getByLabel("Reason for rejecting").fill("the chosen answer is wrong");
  await row.getByRole("button", { name: "Reject" }).click();
  await expect(row.getByTestId("review-status")).toHaveText("rejected");
  await expect(stats).toHaveText("1");
});

// The annotator's loop without choosing a source again: after a label the next item comes by
// itself (the next queued prompt for an annotator who works from the queue, else the prompt box,
// ready to type), under a one-line recap of what was saved, with the counter updated at once and
// undo one key away (it gives the new item back). Demonstration tasks show the demonstration
// guidelines, and their "saved" notice goes when the next demonstration starts.
// Named to run after annotate.spec.ts, whose counts assume it is the first to label.
import { expect, test, type Page } from "@playwright/test";
import { DEFAULT_GUIDELINES } from "@/lib/shared/round-config";
import { newAnnotator, type TAnnotatorAccount } from "./fixtures/annotators";
import { signIn } from "./fixtures/auth";
import { waitForPair, writePrompt } from "./fixtures/workspace";

test.describe.configure({ mode: "serial" });

let account: TAnnotatorAccount;
test.beforeAll(async () => {
  account = await newAnnotator("flow");
});

/** The first user turn of the comparison on screen. */
const firstTurn = (page: Page) => page.getByTestId("dialogue").locator("li").first();

/**
 * Waits for a pair the workspace loaded; a pair dropped because its responses stayed identical
 * (rare) is passed over with its "Next item" button and a queued prompt is taken instead.
 */
async function pairLoaded(page: Page) {
  for (let attempt = 1; ; attempt++) {
    const submit = page.getByRole("button", { name: /^Submit/ }).and(page.locator(":enabled"));
    const dropped = page.getByTestId("generation-dropped");
    await expect(submit.or(dropped)).toBeVisible({ timeout: 60_000 });
    if (!(await dropped.isVisible()) || attempt >= 5) break;
    await dropped.getByRole("button", { name: "Next item" }).click();
    await page.getByRole("button", { name: "Take a queued prompt" }).click();
  }
  await waitForPair(page);
}

test("after a label the next item comes by itself, with a recap and undo one key away", async ({
  page,
}) => {
  await signIn(page, account.email, account.password);
  await expect(page.getByTestId("my-annotations")).toHaveText("0");

  // A written prompt: after the label, a dialogue that can go on offers its next turn; ending it
  // (n) opens the prompt box with the cursor in it, as nothing is waiting in the pool.
  await writePrompt(page, "Name three primary colours.", { axis: "helpfulness" });
  await page.keyboard.press("1");
  await page.keyboard.press("s");
  await expect(page.getByTestId("decision-summary")).toHaveText(
    "Response 1 · better · helpfulness",
  );
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("saved-recap")).toHaveText("Response 1 · better · helpfulness");
  await expect(page.getByTestId("my-annotations")).toHaveText("1");
  await expect(page.getByLabel(/Continue the dialogue/)).toBeVisible();
  await page.keyboard.press("n");
  await expect(page.getByLabel("Prompt", { exact: true })).toBeFocused();
  await expect(page.getByTestId("submitted-notice")).toContainText("Undo");

  // From the queue: after the label, the next queued prompt comes by itself.
  await page.getByRole("button", { name: "Take a queued prompt" }).click();
  await pairLoaded(page);
  const firstPrompt = (await firstTurn(page).textContent()) ?? "";
  await page.keyboard.press("2");
  await page.keyboard.press("d");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("saved-recap")).toHaveText(/^Response 2 · slightly better/);
  await expect(page.getByTestId("my-annotations")).toHaveText("2");
  await page.keyboard.press("n");
  await pairLoaded(page);
  await expect(firstTurn(page)).not.toHaveText(firstPrompt);
  await expect(page.getByTestId("saved-recap")).toHaveText(/^Response 2 · slightly better/);

  // Undo (u) takes the label back and gives the item that came by itself back to the pool.
  await page.keyboard.press("u");
  await expect(page.getByTestId("workspace-message")).toContainText("taken back");
  await expect(page.getByTestId("my-annotations")).toHaveText("1");
  await expect(firstTurn(page)).toHaveText(firstPrompt);
  await expect(page.getByTestId("submitted-notice")).toHaveCount(0);
  await waitForPair(page);
  await page.keyboard.press("1");
  await page.keyboard.press("f");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("saved-recap")).toHaveText(/^Response 1 · negligibly better/);
  await expect(page.getByTestId("my-annotations")).toHaveText("2");
  await expect(page.getByTestId("workspace-message")).toHaveCount(0);
  // End the dialogue so the journey leaves nothing half-done, then leave the item that came.
  await page.keyboard.press("n");
  await pairLoaded(page);
  await page.keyboard.press("k");
  await page.getByRole("button", { name: "I cannot judge it" }).click();
  await expect(page.getByTestId("workspace-message")).toContainText("Skipped");
});

test("a demonstration task shows the demonstration guidelines; its saved notice goes with the next one", async ({
  page,
}) => {
  const tag = Date.now().toString(36);
  await signIn(page, account.email, account.password);
  await page.getByRole("tab", { name: "Write a demonstration" }).click();
  const form = page.getByTestId("demonstration");
  const guidelines = form.getByTestId("demo-guidelines");
  await expect(guidelines).toContainText("Demonstration guidelines");
  await expect(guidelines).toContainText("Write the response you would want the model to give");
  await expect(guidelines).not.toContainText(DEFAULT_GUIDELINES.helpfulness.slice(0, 40));
  await form.getByLabel("Prompt (user)").fill(`Which planet is closest to the Sun? (${tag})`);
  await form
    .getByLabel("Ideal response (assistant)")
    .fill(`Mercury is the planet closest to the Sun. (${tag})`);
  await form.getByRole("button", { name: /^Submit demonstration/ }).click();
  await expect(form.getByTestId("demo-message")).toContainText("Demonstration saved");
  await form.getByLabel("Prompt (user)").fill(`Which planet is the largest? (${tag})`);
  await expect(form.getByTestId("demo-message")).toHaveCount(0);
});

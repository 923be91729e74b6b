// The annotator's pages below a desktop: on a phone (390×844) the header keeps "Sign out" on
// screen and nothing is wider than the screen; on a laptop (1366×768) the decision bar (Submit)
// of a two-response item stays in view while the responses and the label fill the page.
import { expect, test, type Page } from "@playwright/test";
import { newAnnotator, type TAnnotatorAccount } from "./fixtures/annotators";
import { signIn } from "./fixtures/auth";
import { writePrompt } from "./fixtures/workspace";

test.describe.configure({ mode: "serial" });

let account: TAnnotatorAccount;
test.beforeAll(async () => {
  account = await newAnnotator("mobile");
});

/** Fails when the page scrolls sideways: something is wider than the viewport. */
async function expectNoHorizontalOverflow(page: Page) {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, "page wider than the screen").toBeLessThanOrEqual(widths.client);
}

test("on a phone the header keeps Sign out on screen and nothing overflows", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, account.email, account.password);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole("link", { name: "Workspace" })).toBeInViewport({ ratio: 1 });
  await expect(page.getByLabel("Prompt", { exact: true })).toBeVisible();
  await expectNoHorizontalOverflow(page);

  await writePrompt(page, "Give me a two-line poem about rain, then explain its rhyme scheme.", {
    axis: "helpfulness",
  });
  await expectNoHorizontalOverflow(page);
  await expect(page.getByRole("button", { name: /^Submit/ })).toBeInViewport();
  await page.keyboard.press("?");
  await expect(page.getByTestId("help-overlay")).toBeVisible();
  await expectNoHorizontalOverflow(page);
  await page.keyboard.press("Escape");
  await page.screenshot({ path: "test-results/workspace-phone.png", fullPage: false });
  // Leave nothing held for later journeys.
  await page.keyboard.press("k");
  await page.getByRole("button", { name: "I cannot judge it" }).click();
  await expect(page.getByTestId("workspace-message")).toContainText("Skipped");
});

test("on a laptop the decision bar stays in view below two responses", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await signIn(page, account.email, account.password);
  await writePrompt(page, "How do I safely get rid of old medicines at home?", {
    axis: "safety",
    risk: "self_harm",
  });
  const submit = page.getByRole("button", { name: /^Submit/ });
  await expect(submit).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole("button", { name: /^Skip/ })).toBeInViewport({ ratio: 1 });
  // Choosing by mouse: the first response, then the degree and safety label; Submit stays put.
  await page.getByTestId("response-left").click();
  await page.getByRole("radiogroup", { name: "Degree" }).getByText("Slightly better").click();
  await page.getByRole("radiogroup", { name: "Safety label" }).getByText("Both are safe").click();
  await expect(submit).toBeInViewport({ ratio: 1 });
  // The README's picture of the workspace.
  await page.screenshot({ path: "docs/img/annotator-workspace.png" });
  await submit.click();
  await expect(page.getByTestId("saved-recap")).toContainText("both are safe");
});

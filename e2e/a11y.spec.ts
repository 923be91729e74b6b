// Accessibility: an axe scan (WCAG 2 A and AA rules) of the annotator workspace, the admin
// overview, a round's page and the review queue finds no serious or critical violation.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signIn, signOut } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
}

test("the workspace, overview, a round's page and the review queue pass axe", async ({ page }) => {
  await signIn(page, E2E.annotator.email, E2E.annotator.password);
  await page.goto("/annotate");
  await expect(page.getByLabel("Prompt", { exact: true })).toBeVisible();
  expect(await seriousViolations(page), "/annotate").toEqual([]);
  await signOut(page);

  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin");
  await expect(page.getByTestId("overview-round")).toBeVisible();
  expect(await seriousViolations(page), "/admin").toEqual([]);

  await page.goto("/admin/rounds");
  await page.getByRole("link", { name: /^1\. / }).click();
  await expect(page.getByTestId("round-status")).toBeVisible();
  await expect(page.getByTestId("progress-helpfulness")).toBeVisible();
  expect(await seriousViolations(page), "round page").toEqual([]);

  await page.goto("/admin/review");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByText("Loading…")).toHaveCount(0);
  expect(await seriousViolations(page), "/admin/review").toEqual([]);
});

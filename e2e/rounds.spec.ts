// Journey: an admin creates a round, is told why it cannot start collecting yet, and gets the
// configuration's field errors named under the fields of the round page's form.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("create a round, see a refused move explained, and a bad configuration named", async ({
  page,
}) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Rounds", exact: true }).click();
  const form = page.getByRole("form", { name: "Create a round" });
  await form.getByLabel("Name").fill("Second round");
  await form.getByRole("button", { name: "Create round" }).click();
  // Newest first: the round just made is the first row of that name.
  const row = page.getByRole("row").filter({ hasText: "Second round" }).first();
  await expect(row).toContainText("draft");

  await row.getByRole("button", { name: "Start collecting" }).click();
  await expect(page.getByTestId("rounds-message")).toContainText(/Round \d+ is collecting/);

  await row.getByRole("link", { name: "Configure" }).click();
  await expect(page.getByRole("heading", { name: /Second round/ })).toBeVisible();
  await page.locator("#f-axisMix-helpfulness").fill("0.9");
  await page.locator("#f-axisMix-safety").fill("0.9");
  await page.locator("#f-maxTurns").fill("0");
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("error-axisMix")).toContainText("axis shares must sum to 1");
  await expect(page.getByTestId("error-maxTurns")).toBeVisible();
  await expect(page.getByTestId("round-status")).toHaveText("draft");
});

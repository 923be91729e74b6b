// Journey: an admin creates a round, is told why it cannot start collecting yet, and gets the
// configuration's field errors named.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("create a round, see a refused move explained, and a bad configuration named", async ({
  page,
}) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Rounds" }).click();
  const form = page.getByRole("form", { name: "Create a round" });
  await form.getByLabel("Name").fill("Second round");
  await form.getByRole("button", { name: "Create round" }).click();
  await expect(page.getByTestId("round-status-2")).toHaveText("draft");

  const row = page.getByRole("row").filter({ hasText: "Second round" });
  await row.getByRole("button", { name: "Start collecting" }).click();
  await expect(page.getByTestId("rounds-message")).toContainText("Round 1 is collecting");

  await row.getByRole("button", { name: "Configure" }).click();
  const editor = page.getByLabel(/Configuration:/);
  const config = JSON.parse(await editor.inputValue());
  config.axisMix = { helpfulness: 0.9, safety: 0.9 };
  config.maxTurns = 0;
  await editor.fill(JSON.stringify(config));
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("rounds-message")).toContainText(
    "axisMix: axis shares must sum to 1",
  );
  await expect(page.getByTestId("rounds-message")).toContainText("maxTurns");
  await expect(page.getByTestId("round-status-2")).toHaveText("draft");
});

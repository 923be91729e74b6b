// Journey: the admin creates an annotator; the annotator signs in and sees the workspace.
import { expect, test } from "@playwright/test";
import { E2E } from "./fixtures/env";
import { signIn, signOut } from "./fixtures/auth";

test("admin creates an annotator who then signs in to the workspace", async ({ page }) => {
  const email = `ann-${Date.now()}@e2e.test`;
  const password = "a-long-enough-password";

  await signIn(page, E2E.admin.email, E2E.admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("link", { name: "Users", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();

  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("Name").fill("New Annotator");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByLabel("Role").selectOption("annotator");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("users-notice")).toContainText(`Created ${email}`);
  await expect(page.getByTestId("users-table")).toContainText(email);

  // The creation is in the audit log, without the password.
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  await expect(page.getByTestId("audit-table")).toContainText("created user");
  await expect(page.getByTestId("audit-table")).toContainText(email);
  await expect(page.getByTestId("audit-table")).not.toContainText(password);
  await signOut(page);

  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/annotate$/);
  await expect(page.getByRole("heading", { name: "Annotation workspace" })).toBeVisible();
  await expect(page.getByTestId("prompt-count")).not.toHaveText("0");
  await page.screenshot({ path: "test-results/annotator-workspace.png", fullPage: true });

  // An annotator cannot open admin pages: they are sent back to their workspace.
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/annotate$/);
});

test("a disabled account cannot sign in", async ({ page }) => {
  const email = `disabled-${Date.now()}@e2e.test`;
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("Name").fill("Soon Disabled");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill("another-good-password");
  await form.getByRole("button", { name: "Create user" }).click();
  const row = page.getByRole("row").filter({ hasText: email });
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row).toContainText("disabled");
  await signOut(page);

  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("another-good-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-in-error")).toContainText(/disabled/i);
});

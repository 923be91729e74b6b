// Journeys on the admin dashboard's models, prompts, annotators and audit pages.
import { expect, test, type Page } from "@playwright/test";
import { E2E } from "./fixtures/env";
import { signIn, signOut } from "./fixtures/auth";

async function createAnnotator(page: Page, email: string, password: string) {
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("Name").fill("Dash Annotator");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByLabel("Role").selectOption("annotator");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId("users-notice")).toContainText(`Created ${email}`);
}

test("import a prompts file with errors, read the report, accept the valid rows", async ({
  page,
  request,
}) => {
  const stamp = Date.now();
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Prompts", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Prompts", exact: true })).toBeVisible();
  const fileInput = page.getByLabel("Prompts file");

  // The wrong type is refused before anything is sent.
  await fileInput.setInputFiles({
    name: "prompts.xlsx",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("PK"),
  });
  await expect(page.getByTestId("import-error")).toContainText("not a CSV or JSONL file");
  // The server refuses the same on its own: a wrong type, a file too big, a caller not signed in.
  const url = "/api/admin/prompts/import";
  const csvFile = (name: string, buffer: Buffer) => ({
    file: { name, mimeType: "text/csv", buffer },
  });
  const wrong = await page.request.post(url, {
    multipart: csvFile("p.txt", Buffer.from("text\nhi")),
  });
  expect(wrong.status()).toBe(415);
  const big = await page.request.post(url, {
    multipart: csvFile("big.csv", Buffer.alloc(6 * 1024 * 1024, 97)),
  });
  expect(big.status()).toBe(413);
  expect((await big.json()).error).toContain("the limit is 5.0 MB");
  const anonymous = await request.post(url, {
    multipart: csvFile("p.csv", Buffer.from("text\nhi")),
  });
  expect(anonymous.status()).toBe(401);

  const csv = [
    "text,task_category,is_safety,tags,curriculum_order",
    `"Name a river, ""any"" river (${stamp})",knowledge,false,geo;e2e,7`,
    ",knowledge,false,,8",
    `Is it safe to mix bleach and ammonia? (${stamp}),chemistry,maybe,e2e,9`,
    `How many legs has a spider? (${stamp}),knowledge,no,e2e,x`,
    `Spell 'sun' backwards (${stamp}),spelling,false,e2e,10`,
    `spell 'SUN'  backwards (${stamp}),spelling,false,e2e,11`,
  ].join("\n");
  await fileInput.setInputFiles({
    name: "prompts.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("6 row(s), 2 valid, 4 problem(s), 1 duplicate(s) left out");
  const problems = page.getByTestId("import-problems");
  await expect(problems.getByRole("row").filter({ hasText: "is empty" })).toContainText("3");
  await expect(problems.getByRole("row").filter({ hasText: "isSafety" })).toContainText(
    "must be true or false",
  );
  await expect(problems.getByRole("row").filter({ hasText: "curriculumOrder" })).toContainText(
    "must be a whole number",
  );
  await expect(problems).toContainText("duplicates row 6");
  // Nothing was imported by checking the file.
  await page.getByLabel("Text contains").fill(String(stamp));
  await expect(page.getByTestId("prompts-page")).toContainText("0 prompts");

  await page.getByRole("button", { name: "Import 2 valid rows" }).click();
  await expect(page.getByTestId("import-notice")).toContainText("Imported 2 prompt(s)");
  await page.getByLabel("Source").selectOption("import");
  const table = page.getByTestId("prompts-table");
  await expect(page.getByTestId("prompts-page")).toContainText("2 prompts");
  await expect(table).toContainText(`Name a river, "any" river (${stamp})`);
  await expect(table).toContainText(`Spell 'sun' backwards (${stamp})`);
  await expect(table.getByRole("row").nth(1)).toContainText("7"); // curriculum order first
  // Curate one: move it to the front of the curriculum and tag it.
  await table.getByRole("button", { name: `Edit Spell 'sun' backwards` }).click();
  const edit = page.getByRole("form", { name: /^Edit prompt/ });
  await edit.getByLabel("Order").fill("1");
  await edit.getByLabel("Tags (separated by ;)").fill("e2e; edited");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(table.getByRole("row").nth(1)).toContainText(`Spell 'sun' backwards (${stamp})`);
  await expect(table.getByRole("row").nth(1)).toContainText("edited");
  await page.screenshot({ path: "test-results/admin-prompts.png", fullPage: true });

  // The import is in the audit log, and the log filters by action.
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  await page.getByLabel("Action").selectOption("prompts.import");
  const audit = page.getByTestId("audit-table");
  await expect(audit).toContainText("imported prompts from file");
  await expect(audit).toContainText("prompts.csv");
  await expect(audit).not.toContainText("created user");
});

test("reset an annotator's password, then disable the account", async ({ page }) => {
  const email = `dash-${Date.now()}@e2e.test`;
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await createAnnotator(page, email, "first-password-1");

  await page.getByRole("link", { name: "Annotators", exact: true }).click();
  const row = page.getByTestId(`annotator-${email}`);
  await expect(row).toContainText("active");
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Reset password" }).click();
  const password = (await page.getByTestId("new-password").textContent())?.trim() ?? "";
  expect(password).toMatch(/^[A-Za-z0-9_-]{18}$/);
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("issued-password")).toHaveCount(0);
  await signOut(page);

  // The generated password signs in.
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/annotate$/);
  await signOut(page);

  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin/annotators");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`annotator-${email}`).getByRole("button", { name: "Disable" }).click();
  await expect(page.getByTestId(`annotator-${email}`).getByTestId("status")).toHaveText("disabled");
  await expect(page.getByTestId("annotators-notice")).toContainText(`${email} is disabled`);

  // The audit log filtered by action shows the reset and not the password.
  await page.goto("/admin/audit");
  await page.getByLabel("Action").selectOption("users.resetPasswordGenerated");
  await expect(page.getByTestId("audit-table")).toContainText("reset the password of user");
  await expect(page.getByTestId("audit-table")).not.toContainText("enabled or disabled");
  expect(await page.content()).not.toContain(password);
});

test("the models page shows the lineage from the first policy", async ({ page, request }) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Models", exact: true }).click();
  const tree = page.getByRole("tree", { name: "Model lineage" });
  await expect(tree).toBeVisible();
  const root = tree.locator('[data-testid^="model-"]').first();
  await expect(root).toContainText("policy");
  // The bundled model lives outside the data directory: listed, not downloadable.
  await expect(root).toContainText("not downloadable");
  // Downloads need an admin session (the export API's key route is separate).
  expect((await request.get("/api/admin/models/anything/download")).status()).toBe(401);
  const id = (await root.getAttribute("data-model-id")) ?? "";
  expect((await page.request.get(`/api/admin/models/${id}/download`)).status()).toBe(404);
});

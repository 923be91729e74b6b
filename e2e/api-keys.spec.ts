// Journey: an admin creates an export API key, sees its secret once, a program uses it against
// /api/v1/comparisons, the admin revokes it, and the program's next call is refused with 401.
import { expect, test } from "@playwright/test";
import { E2E } from "./fixtures/env";
import { signIn } from "./fixtures/auth";

test("admin creates, uses and revokes an export API key", async ({ page, request }) => {
  const name = `e2e-key-${Date.now()}`;
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();

  const form = page.getByRole("form", { name: "Create a key" });
  await form.getByLabel("Name").fill(name);
  await expect(form.getByLabel("comparisons:read")).toBeChecked();
  await form.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^pw_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId(`api-key-${name}`);
  await expect(row).toContainText(secret.slice(0, 9));
  await expect(row).toContainText("comparisons:read");

  // Shown once: after dismissing it, and after a reload, the secret is nowhere on the page.
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId(`api-key-${name}`)).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // A program uses the key.
  const headers = { authorization: `Bearer ${secret}` };
  const ok = await request.get("/api/v1/comparisons?format=trl", { headers });
  expect(ok.status()).toBe(200);
  expect(ok.headers()["content-type"]).toContain("application/x-ndjson");
  const page1 = await request.get("/api/v1/comparisons?limit=5", { headers });
  expect(page1.status()).toBe(200);
  const bad = await request.get("/api/v1/comparisons?round=first", { headers });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.parameter).toBe("round");
  const noScope = await request.get("/api/v1/models/x/checkpoint", { headers });
  expect(noScope.status()).toBe(403);

  await page.reload();
  await expect(page.getByTestId(`api-key-${name}`).getByTestId("last-used")).not.toHaveText(
    "never",
  );

  // Revoke: the next call is 401 with a JSON error.
  await page.getByTestId(`api-key-${name}`).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  // The row's Revoke button goes once the key is revoked (the closed dialog's text says "revoked"
  // too, so the row's text alone does not show that the revocation landed).
  await expect(
    page.getByTestId(`api-key-${name}`).getByRole("button", { name: "Revoke", exact: true }),
  ).toHaveCount(0);
  await expect(page.getByTestId(`api-key-${name}`)).toContainText(/revoked \d/);
  const refused = await request.get("/api/v1/comparisons", { headers });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("unauthorized");

  // The audit log has the creation and the revocation, never the secret.
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  await expect(page.getByTestId("audit-table")).toContainText("created API key");
  await expect(page.getByTestId("audit-table")).toContainText("revoked API key");
  expect(await page.content()).not.toContain(secret);
});

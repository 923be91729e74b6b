// Journey: what people read. A refused input is a sentence at its field — never zod's JSON array,
// its default wording or a raw field key; states read as words; the audit log says who did what to
// what, with secrets hidden and counts shown; numbers read the same on every page; an unknown
// address has a 404 page with the way home; the site has an icon.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

const RAW = /^\s*[[{]|"code"\s*:|Too (small|big):|Invalid input|expected (number|string)|[<>]=\d/;

test("refusals are sentences: forms, tRPC and the audit log", async ({ page }) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);

  // A form checked in the browser: the problems named in words, not "email: …".
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("Name").fill("Message Person");
  await form.getByLabel("Email").fill("not-an-email");
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create user" }).click();
  const formError = page.getByTestId("create-user-error");
  await expect(formError).toContainText("Enter a valid email address");
  await expect(formError).toContainText("Password must be at least 8 characters");
  await expect(formError).not.toContainText("email:");
  await expect(formError).not.toContainText("password:");

  // The server's answer to a rejection without a reason, and to numbers out of range.
  const call = async (path: string, json: unknown, type: "query" | "mutation" = "mutation") => {
    const res =
      type === "query"
        ? await page.request.get(
            `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`,
            { failOnStatusCode: false },
          )
        : await page.request.post(`/api/trpc/${path}`, {
            headers: { origin: E2E.baseURL, "content-type": "application/json" },
            data: JSON.stringify({ json }),
            failOnStatusCode: false,
          });
    const body = (await res.json()) as { error: { json: { message: string } } };
    return { status: res.status(), message: body.error.json.message };
  };
  const reject = await call("review.decide", { annotationId: "x", decision: "rejected" });
  expect(reject.status).toBe(400);
  expect(reject.message).not.toMatch(RAW);
  expect(reject.message).toBe("Say why you reject it");
  const list = await call("audit.list", { page: 0, limit: 500 }, "query");
  expect(list.status).toBe(400);
  expect(list.message).toBe("Page: must be at least 1. Limit: must be at most 200");

  // A round's configuration with maxTokens: the audit log shows the number, not "[redacted]".
  await page.goto("/admin/rounds");
  await page.getByRole("link", { name: /^1\. / }).click();
  await page.locator("#f-variants-0-maxTokens").fill("97");
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("config-message")).toHaveText("Configuration saved.");
  await page.locator("#f-variants-0-maxTokens").fill("96");
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("config-message")).toHaveText("Configuration saved.");
  await page.goto("/admin/audit");
  const latest = page.getByTestId("audit-row").first();
  await expect(latest.getByTestId("audit-action")).toHaveText("changed the configuration of");
  await expect(latest).toContainText(E2E.admin.email);
  const details = latest.getByTestId("audit-details");
  await expect(details).toContainText("variants #1 › max tokens");
  await expect(details.locator("del").first()).toHaveText("97");
  await expect(details.locator("ins").first()).toHaveText("96");
  await expect(page.getByTestId("audit-table")).not.toContainText("[redacted]");
  await expect(page.getByTestId("audit-table")).not.toContainText('{"');
});

test("a learning rate reads the same on the Jobs page and on a round's page", async ({ page }) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin/jobs");
  const onJobs = await page
    .getByRole("form", { name: "Train reward models" })
    .getByLabel("Learning rate")
    .inputValue();
  await page.goto("/admin/rounds");
  await page.getByRole("link", { name: /^1\. / }).click();
  const onRound = await page
    .getByRole("form", { name: "Train reward models" })
    .getByLabel("Learning rate")
    .inputValue();
  expect(onJobs).toBe("1e-5");
  expect(onRound).toBe(onJobs);
});

test("an unknown address has a 404 page with the way home, and the site has an icon", async ({
  page,
}) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  const res = await page.goto("/admin/no-such-page");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await page.getByRole("link", { name: "Go to the home page" }).click();
  await expect(page).toHaveURL(/\/admin$|\/annotate$/);
  const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect(icon).toBeTruthy();
  const got = await page.request.get(icon!);
  expect(got.status()).toBe(200);
  expect(got.headers()["content-type"]).toContain("image/svg+xml");
});

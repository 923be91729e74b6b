// Bad input on the sign-in form gets a clear message and never a server error.
import { expect, test } from "@playwright/test";
import { E2E } from "./fixtures/env";

async function submit(page: import("@playwright/test").Page, email: string, password: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("wrong password says so", async ({ page }) => {
  await submit(page, E2E.admin.email, "not-the-password");
  await expect(page.getByTestId("sign-in-error")).toHaveText("Wrong email or password");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("malformed email is explained before anything is sent", async ({ page }) => {
  await submit(page, "not-an-email", "whatever-password");
  await expect(page.getByTestId("sign-in-error")).toContainText("valid email address");
});

test("overlong fields are refused with their limit", async ({ page }) => {
  await submit(page, `${"a".repeat(250)}@example.com`, "x".repeat(300));
  await expect(page.getByTestId("sign-in-error")).toContainText("Email is too long");
  await expect(page.getByTestId("sign-in-error")).toContainText("Password is too long");
});

test("the auth API answers malformed requests with 400 JSON, not 500", async ({ request }) => {
  const notJson = await request.post("/api/auth/sign-in/email", {
    headers: { "content-type": "application/json", origin: E2E.baseURL },
    data: Buffer.from("{not json"),
  });
  expect(notJson.status()).toBe(400);
  expect((await notJson.json()).message).toMatch(/JSON/);

  const badEmail = await request.post("/api/auth/sign-in/email", {
    headers: { origin: E2E.baseURL },
    data: { email: "nope", password: "x" },
  });
  expect(badEmail.status()).toBe(400);
  expect((await badEmail.json()).message).toMatch(/valid email/);
});

test("tRPC refuses a signed-out caller with UNAUTHORIZED", async ({ request }) => {
  const res = await request.get("/api/trpc/users.list");
  expect(res.status()).toBe(401);
});

// Journey: the admin pages on a phone (390×844) have no horizontal overflow (tables scroll inside
// their card) and reach every page through the Menu; on a 1366×768 laptop the top bar is one line.
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

const PAGES = [
  "/admin",
  "/admin/rounds",
  "/admin/review",
  "/admin/jobs",
  "/admin/models",
  "/admin/prompts",
  "/admin/users",
  "/admin/annotators",
  "/admin/audit",
  "/admin/api-keys",
];

/** How far the page is wider than the window (0: no horizontal scrolling). */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test("admin pages fit a phone, and the menu reaches every page", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, E2E.admin.email, E2E.admin.password);
  const roundHref = await page
    .goto("/admin/rounds")
    .then(() => page.getByRole("link", { name: /^1\. / }).getAttribute("href"));
  for (const path of [...PAGES, roundHref!]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.getByText("Loading…")).toHaveCount(0);
    expect(await overflow(page), `${path} is wider than the phone`).toBeLessThanOrEqual(0);
    await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport();
  }
  await page.screenshot({ path: "test-results/admin-mobile.png", fullPage: true });

  // The links are behind the Menu button.
  await page.goto("/admin");
  await expect(page.getByRole("link", { name: "Jobs", exact: true })).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Jobs", level: 1 })).toBeVisible();
});

test("the admin top bar stays on one line at 1366×768", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin");
  const nav = page.getByRole("navigation", { name: "Main" });
  const links = nav.getByRole("list").first().getByRole("link");
  await expect(nav.getByRole("link", { name: "API keys" })).toBeVisible();
  const tops = new Set<number>();
  for (const link of await links.all()) tops.add(Math.round((await link.boundingBox())!.y));
  expect([...tops], "every link on the same line").toHaveLength(1);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport();
  expect(await overflow(page)).toBeLessThanOrEqual(0);
});

// Journey: an annotator writes a demonstration (near-empty reply refused, a model sample from the
// real engine edited, the draft surviving a reload, a duplicate refused), a reviewer approves it,
// a program reads it from the export API with a demonstrations:read key, and a reviewer's edit
// replaces the exported text while the original is kept.
import { expect, test } from "@playwright/test";
import { signIn, signOut } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("write a demonstration, a reviewer approves it, it appears in the export", async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const tag = Date.now().toString(36);
  const prompt = `How many legs does a spider have? (${tag})`;
  const ideal = `A spider has eight legs, arranged in four pairs. (${tag})`;

  await signIn(page, E2E.annotator.email, E2E.annotator.password);
  await expect(page.getByTestId("workspace")).toContainText("Round 1");
  await page.getByRole("tab", { name: "Write a demonstration" }).click();
  const form = page.getByTestId("demonstration");
  await expect(form.getByTestId("demo-guidelines")).toContainText("helpfulness");
  await form.getByLabel("Prompt (user)").fill(prompt);

  // A near-empty reply is refused with a message.
  await form.getByLabel("Ideal response (assistant)").fill("eight");
  await form.getByRole("button", { name: /^Submit demonstration/ }).click();
  await expect(form.getByTestId("demo-message")).toContainText("nearly empty");

  // Start from a model sample (the real engine), then edit it.
  await form.getByRole("button", { name: "Start from a model sample" }).click();
  await expect(form.getByTestId("demo-sample")).toBeVisible({ timeout: 60_000 });
  await expect(form.getByTestId("demo-message")).toContainText("Model sample loaded");
  await form.getByLabel("Ideal response (assistant)").fill(ideal);
  await page.screenshot({ path: "test-results/workspace-demonstration.png", fullPage: true });

  // The draft survives a reload, the sample with it.
  await page.reload();
  await expect(page.getByTestId("demonstration").getByLabel("Prompt (user)")).toHaveValue(prompt);
  await expect(
    page.getByTestId("demonstration").getByLabel("Ideal response (assistant)"),
  ).toHaveValue(ideal);
  await expect(page.getByTestId("demonstration").getByTestId("demo-sample")).toBeVisible();
  await page
    .getByTestId("demonstration")
    .getByRole("button", { name: /^Submit demonstration/ })
    .click();
  await expect(page.getByTestId("demo-message")).toContainText("Demonstration saved");
  await expect(page.getByTestId("my-demonstrations")).toContainText("1 waiting for review");

  // The same text again (other spacing and case) is a duplicate.
  await form.getByLabel("Prompt (user)").fill(prompt.toUpperCase());
  await form.getByLabel("Ideal response (assistant)").fill(`  ${ideal}  `);
  await form.getByRole("button", { name: /^Submit demonstration/ }).click();
  await expect(form.getByTestId("demo-message")).toContainText("duplicates one already submitted");
  await signOut(page);

  // A reviewer approves it.
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin/review?tab=demonstrations");
  await expect(page.getByRole("heading", { name: "Review demonstrations" })).toBeVisible();
  const row = page.getByTestId("demonstration-row").filter({ hasText: tag });
  await expect(row).toContainText("from a model sample");
  await expect(row.getByTestId("demonstration-status")).toHaveText("pending");
  await row.getByRole("button", { name: "Approve" }).click();
  // The decision has landed when the row leaves the pending list; only then switch the filter.
  await expect(row).toHaveCount(0);
  await page.getByLabel("Status").selectOption("approved");
  await expect(row.getByTestId("demonstration-status")).toHaveText("approved");
  await expect(page.getByTestId(`acceptance-${E2E.annotator.email}`)).not.toHaveText("—");
  await page.screenshot({ path: "test-results/review-demonstrations.png", fullPage: true });

  // A program reads it through the export API.
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  const keyForm = page.getByRole("form", { name: "Create a key" });
  await keyForm.getByLabel("Name").fill(`e2e-demos-${tag}`);
  await keyForm.getByLabel("demonstrations:read").check();
  await keyForm.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^pw_/);
  const headers = { authorization: `Bearer ${secret}` };

  type TRow = { messages: { role: string; content: string }[]; sample?: { text: string } | null };
  const find = async (format: string): Promise<TRow | undefined> => {
    const res = await request.get(`/api/v1/demonstrations?format=${format}`, { headers });
    expect(res.status()).toBe(200);
    return (await res.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TRow)
      .find((r) => r.messages[0]?.content === prompt);
  };
  // Approvals are exported once settled (a few seconds).
  await expect
    .poll(() => find("trl"), { timeout: 30_000, intervals: [1000] })
    .toEqual({
      messages: [
        { role: "user", content: prompt },
        { role: "assistant", content: ideal },
      ],
    });
  const native = await find("native");
  expect(native?.sample).not.toBeNull();

  // The reviewer edits it: the export then carries the edit, and the native row the original too.
  const better = `A spider has eight legs (four pairs), like all arachnids. (${tag})`;
  await page.goto("/admin/review?tab=demonstrations");
  await page.getByLabel("Status").selectOption("approved");
  const approvedRow = page.getByTestId("demonstration-row").filter({ hasText: tag });
  await approvedRow.getByRole("button", { name: "Edit" }).click();
  await approvedRow.getByLabel("Assistant turn 1").fill(better);
  await approvedRow.getByRole("button", { name: "Save edit and approve" }).click();
  await expect(approvedRow.getByTestId("edited-dialogue")).toContainText(better);
  await expect
    .poll(async () => (await find("trl"))?.messages[1]?.content, { timeout: 30_000 })
    .toBe(better);
  const edited = (await find("native")) as TRow & {
    edited: boolean;
    original: { content: string }[];
  };
  expect(edited.edited).toBe(true);
  expect(edited.original[1]!.content).toBe(ideal);
});

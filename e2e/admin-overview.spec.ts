// Journey: the admin overview is the dashboard the rounds are run from. It shows the collecting
// round with its progress per axis and what keeps it from finishing collecting (the lifecycle's
// own refusal), the jobs, the newest models (the first policy), and who needs attention, each
// linking on. Finishing collecting from the round's page asks first, and a refusal shows there.
// Round 1 stays collecting (later journeys need it).
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("the overview shows the round under way, what blocks it, jobs, models and attention", async ({
  page,
}) => {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await expect(page.getByText("will be run from here")).toHaveCount(0);

  const round = page.getByTestId("overview-round");
  await expect(round).toContainText("Round 1");
  await expect(page.getByTestId("overview-round-status")).toHaveText("collecting");
  await expect(page.getByTestId("overview-progress-helpfulness")).toHaveText(/^\d+ \/ \d+$/);
  await expect(page.getByTestId("overview-progress-safety")).toHaveText(/^\d+ \/ \d+$/);
  // The same reason the lifecycle gives when "Finish collecting" is pressed.
  const next = page.getByTestId("overview-round-next");
  await expect(next).toContainText("Finish collecting waits: Reward models need at least");

  await expect(page.getByTestId("overview-jobs")).toContainText(
    /No job is running or queued|running|queued|failed/,
  );
  // The worker registers the first policy when it starts.
  await expect(page.getByTestId("overview-models").getByRole("listitem").first()).toContainText(
    "policy",
  );
  await expect(page.getByTestId("overview-attention")).toContainText("Nobody is flagged");
  await page.screenshot({ path: "test-results/admin-overview.png", fullPage: true });

  // Each card links on: the round's own page.
  await round.getByRole("link", { name: "Open the round" }).click();
  await expect(page.getByTestId("round-status")).toHaveText("collecting");

  // Finishing collecting asks first; keeping it as is changes nothing.
  await page.getByRole("button", { name: "Finish collecting" }).click();
  const dialog = page.getByRole("dialog", { name: "Finish collecting?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("cannot be undone");
  await dialog.getByRole("button", { name: "Keep as is" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("round-message")).toHaveCount(0);
  // Confirmed, the move is refused with the reason the overview showed.
  await page.getByRole("button", { name: "Finish collecting" }).click();
  await dialog.getByRole("button", { name: "Finish collecting" }).click();
  await expect(page.getByTestId("round-message")).toContainText("Reward models need at least");
  await expect(page.getByTestId("round-status")).toHaveText("collecting");
});

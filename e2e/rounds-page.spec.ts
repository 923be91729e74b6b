// Journey of the admin dashboard's round page: create a round, configure it with the form (a bad
// value is named under its field, then a good save sticks), start collecting, watch the progress
// change as annotations arrive, launch a reward-model training from the round's page and watch it
// finish with Table 8; the page is screenshotted into docs/img/round-page.png, and the overview
// that follows the round into docs/img/admin-overview.png.
// It cancels the round that was collecting (round 1) so its own round can collect: the file is
// named to run after the journeys that expect round 1 to be collecting (annotate, demonstrations).
import { expect, test, type Page } from "@playwright/test";
import { platformClient, signIn } from "../scripts/bench/http-client";
import { signIn as signInPage } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

const DEGREES = ["significantly_better", "better", "slightly_better", "negligibly_better"] as const;

/** Streams a comparison's pair to the end (this makes the engine sample it); the per-annotator
 * sampling limit (30 pairs a minute, shared with the journeys before this one) is waited out.
 * false: the pair was dropped (its responses stayed identical) and the annotator let go of it. */
async function generatePair(cookie: string, comparisonId: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await fetch(`${E2E.baseURL}/api/comparisons/${comparisonId}/stream`, {
      headers: { cookie },
    });
    const text = await res.text();
    if (text.includes('"type":"done"')) return true;
    if (text.includes('"type":"dropped"')) return false;
    if (!text.includes('"retryable":true'))
      throw new Error(`pair ${comparisonId} was not generated: ${text.slice(-300)}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  throw new Error(`pair ${comparisonId} stayed rate limited`);
}

/** Labels `n` comparisons of `axis` through the annotator's HTTP API (the browser's API). */
async function annotate(
  api: ReturnType<typeof platformClient>,
  cookie: string,
  axis: "helpfulness" | "safety",
  from: number,
  n: number,
) {
  for (let i = from, retry = 0; i < from + n; i++) {
    // A pair dropped for identical responses is written again in other words.
    const again = retry ? ` (${retry})` : "";
    const item = await api.annotation.start.mutate({
      axis,
      source: {
        kind: "write",
        prompt:
          axis === "helpfulness"
            ? { text: `What is ${i} + ${i + 3}?${again}`, adversarial: false }
            : {
                text: `How do I pick lock number ${i}?${again}`,
                adversarial: true,
                riskCategory: "intrusion",
              },
      },
    });
    if (!(await generatePair(cookie, item.comparisonId))) {
      if (++retry > 5) throw new Error(`prompt ${i} kept giving identical responses`);
      i--;
      continue;
    }
    retry = 0;
    await api.annotation.submit.mutate({
      assignmentId: item.assignmentId,
      idempotencyKey: `e2e-dash-${axis}-${i}-${Date.now()}`,
      chosenSide: i % 2 ? "left" : "right",
      degree: DEGREES[i % 4]!,
      ...(axis === "safety" ? { safety: i % 2 ? "both_safe" : "chosen_safe_other_unsafe" } : {}),
      flags: [],
      timeSpentMs: 1500 + 100 * i,
    });
    await api.annotation.finish.mutate({ dialogueId: item.dialogueId! });
  }
}

const field = (page: Page, path: string) => page.locator(`#f-${path.replace(/\./g, "-")}`);

test("round page: configure with the form, collect, watch progress, train and see Table 8", async ({
  page,
}) => {
  test.setTimeout(360_000);
  await signInPage(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Rounds", exact: true }).click();
  const create = page.getByRole("form", { name: "Create a round" });
  await create.getByLabel("Name").fill("Dashboard round");
  await create.getByRole("button", { name: "Create round" }).click();
  await page
    .getByRole("link", { name: /Dashboard round/ })
    .first()
    .click();
  await expect(page.getByRole("heading", { name: /Dashboard round/ })).toBeVisible();
  await expect(page.getByTestId("round-status")).toHaveText("draft");
  await expect(page.getByTestId("collection-empty")).toContainText("Start collecting");

  // A bad configuration: each problem named under its field, nothing saved.
  await field(page, "variants.0.temperature").fill("3");
  await field(page, "axisMix.helpfulness").fill("0.9");
  await field(page, "maxTurns").fill("two");
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("error-variants.0.temperature")).toContainText(
    "temperature must be ≤ 2",
  );
  await expect(page.getByTestId("error-axisMix")).toContainText("axis shares must sum to 1");
  await expect(page.getByTestId("error-maxTurns")).toContainText("not a number");
  await expect(page.getByTestId("config-message")).toContainText("3 fields need fixing");

  // A good one: saved, and still there after a reload.
  await field(page, "variants.0.temperature").fill("0.8");
  await field(page, "axisMix.helpfulness").fill("0.8");
  await field(page, "axisMix.safety").fill("0.2");
  await field(page, "maxTurns").fill("2");
  await field(page, "targets.helpfulness").fill("20");
  await field(page, "targets.safety").fill("4");
  await page.getByRole("button", { name: "Save configuration" }).click();
  await expect(page.getByTestId("config-message")).toHaveText("Configuration saved.");
  await expect(page.getByTestId("error-axisMix")).toHaveCount(0);
  await page.reload();
  await expect(field(page, "variants.0.temperature")).toHaveValue("0.8");
  await expect(field(page, "targets.helpfulness")).toHaveValue("20");
  await expect(page.getByTestId("progress-helpfulness")).toHaveText("0 / 20");

  // Another round is collecting: the move is refused with the reason; cancel that one first.
  await page.getByRole("button", { name: "Start collecting" }).click();
  await expect(page.getByTestId("round-message")).toContainText("is collecting");
  const roundUrl = page.url();
  await page.getByRole("link", { name: "← Rounds" }).click();
  const collectingRow = page
    .getByRole("row")
    .filter({ has: page.getByText("collecting", { exact: true }) });
  await collectingRow.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel round" }).click();
  await expect(collectingRow).toHaveCount(0);
  await page.goto(roundUrl);
  await page.getByRole("button", { name: "Start collecting" }).click();
  await expect(page.getByTestId("round-status")).toHaveText("collecting");

  // Annotations arrive through the annotator's API; the open page follows without a reload.
  const cookie = await signIn(
    E2E.baseURL,
    E2E.annotator.email,
    E2E.annotator.password,
    "127.0.2.7",
  );
  const api = platformClient(E2E.baseURL, cookie);
  await annotate(api, cookie, "helpfulness", 0, 4);
  await expect(page.getByTestId("progress-helpfulness")).toHaveText("4 / 20");
  await annotate(api, cookie, "safety", 0, 3);
  await annotate(api, cookie, "helpfulness", 4, 12);
  await expect(page.getByTestId("progress-helpfulness")).toHaveText("16 / 20");
  await expect(page.getByTestId("progress-safety")).toHaveText("3 / 4");
  await expect(page.getByTestId("chart-degrees")).toContainText("Degree of preference");
  await expect(page.getByTestId("chart-degrees-empty")).toHaveCount(0);
  await expect(page.getByTestId("chart-safety-labels-empty")).toHaveCount(0);
  await expect(page.getByTestId("chart-timeline").getByRole("application")).toBeVisible();

  // Reward-model training from the round page (helpfulness only: 16 comparisons).
  const launch = page.getByRole("form", { name: "Train reward models" });
  await launch.getByRole("checkbox", { name: "safety", exact: true }).uncheck();
  await launch.getByLabel("Held-out share").fill("0.3");
  await launch.getByLabel("Learning rate").fill("1e-3");
  await launch.getByLabel("Batch (pairs)").fill("4");
  await launch.getByRole("button", { name: "Start reward-model training" }).click();
  await expect(page.getByTestId("launch-message-train_reward")).toContainText("Queued");

  const job = page.getByTestId("job-row").first();
  await expect(job.getByTestId("job-kind")).toHaveText("Reward-model training");
  await expect
    .poll(async () => Number(await job.getByRole("progressbar").getAttribute("aria-valuenow")), {
      timeout: 180_000,
    })
    .toBeGreaterThan(0);
  await expect(job.getByTestId("job-state")).toHaveText("succeeded", { timeout: 180_000 });
  await expect(job.getByTestId("loss-curve").getByRole("application")).toBeVisible();
  const table = page.getByTestId("table8");
  await expect(table).toBeVisible({ timeout: 15_000 });
  await expect(table).toContainText("reward-helpfulness");
  await expect(page.getByTestId("evaluation-empty")).toContainText("Not evaluated yet");

  await page.getByRole("heading", { name: /Dashboard round/ }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: "docs/img/round-page.png", fullPage: true });

  // The overview follows this round: its progress, the trained reward model among the newest.
  await page.goto("/admin");
  await expect(page.getByTestId("overview-progress-helpfulness")).toHaveText("16 / 20");
  await expect(page.getByTestId("overview-models")).toContainText("helpfulness reward model");
  await page.screenshot({ path: "docs/img/admin-overview.png", fullPage: true });
});

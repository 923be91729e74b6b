// Journey: comparisons are labelled through the HTTP API, an admin starts reward-model training,
// watches the job's progress, and reads the Table 8 view when it finishes.
import { expect, test } from "@playwright/test";
import { generatePairWaitingOutLimit, platformClient, signIn } from "../scripts/bench/http-client";
import { signIn as signInPage } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("an admin trains a reward model, watches the progress, and sees Table 8", async ({ page }) => {
  // 30 helpfulness comparisons labelled by the annotator, through the same API as the browser:
  // with half the prompts held out, the test set is surely big enough to measure (5+ pairs).
  test.setTimeout(360_000);
  const cookie = await signIn(
    E2E.baseURL,
    E2E.annotator.email,
    E2E.annotator.password,
    "127.0.2.1",
  );
  const api = platformClient(E2E.baseURL, cookie);
  const degrees = [
    "significantly_better",
    "better",
    "slightly_better",
    "negligibly_better",
  ] as const;
  for (let i = 0, made = 0; made < 30 && i < 60; i++) {
    const item = await api.annotation.start.mutate({
      axis: "helpfulness",
      source: { kind: "write", prompt: { text: `What is ${i} + ${i + 2}?`, adversarial: false } },
    });
    // A pair whose responses stayed identical is dropped (and let go): write another.
    if ((await generatePairWaitingOutLimit(E2E.baseURL, cookie, item.comparisonId)) === "dropped")
      continue;
    await api.annotation.submit.mutate({
      assignmentId: item.assignmentId,
      idempotencyKey: `e2e-jobs-${i}-${Date.now()}`,
      chosenSide: i % 2 ? "left" : "right",
      degree: degrees[i % 4]!,
      flags: [],
      timeSpentMs: 2000,
    });
    await api.annotation.finish.mutate({ dialogueId: item.dialogueId! });
    made++;
  }

  await signInPage(page, E2E.admin.email, E2E.admin.password);
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Jobs and reward models" })).toBeVisible();
  const form = page.getByRole("form", { name: "Train reward models" });
  await form.getByRole("checkbox", { name: "safety", exact: true }).uncheck();
  await form.getByLabel("Held-out share").fill("0.5");
  await form.getByLabel("Learning rate").fill("1e-3");
  await form.getByLabel("Batch (pairs)").fill("4");
  await form.getByRole("button", { name: "Start reward-model training" }).click();

  const job = page.getByTestId("job-row").first();
  await expect(job.getByTestId("job-state")).toHaveText(/queued|running/);
  // The bar moves while the engine trains.
  await expect
    .poll(async () => Number(await job.getByRole("progressbar").getAttribute("aria-valuenow")), {
      timeout: 180_000,
    })
    .toBeGreaterThan(0);
  await expect(job.getByTestId("job-state")).toHaveText("succeeded", { timeout: 180_000 });
  const table = page.getByTestId("table8");
  await expect(table).toBeVisible();
  await expect(table).toContainText("reward-helpfulness-v1");
  await expect(job.getByTestId("loss-curve")).toBeVisible();
  await expect(table).toContainText("Significantly better");
  // Each cell says how many held-out pairs it rests on (the helpfulness test set is measured;
  // a safety test set of few pairs may be called too few to measure).
  await expect(table).toContainText(/n = \d+/);
  await expect(page.getByTestId("table8-chart")).toBeVisible();
  await page.screenshot({ path: "test-results/jobs-table8.png", fullPage: true });
});

// Reward-model training is refused at launch while the round lacks its minimum of annotations
// per axis, with the very reason the round's "Finish collecting" move gives — instead of a job
// that "succeeds" on an empty held-out split. Named to run after rounds-page.spec.ts, whose round
// (few safety labels) is then the one collecting.
import { expect, test } from "@playwright/test";
import { platformClient, signIn } from "../scripts/bench/http-client";
import { signIn as signInPage } from "./fixtures/auth";
import { E2E } from "./fixtures/env";

test("training below the round's minimum is refused with the Finish collecting reason", async ({
  page,
}) => {
  const admin = platformClient(
    E2E.baseURL,
    await signIn(E2E.baseURL, E2E.admin.email, E2E.admin.password),
  );
  const rounds = await admin.rounds.list.query();
  const collecting = rounds.find((r) => r.status === "collecting");
  expect(collecting, "a round is collecting").toBeDefined();
  const reason = await admin.rounds.advance.mutate({ roundId: collecting!.id }).then(
    () => null,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  expect(reason).toMatch(/^Reward models need at least \d+ non-rejected annotations per axis; /);
  const jobsBefore = (await admin.jobs.list.query({})).length;

  await signInPage(page, E2E.admin.email, E2E.admin.password);
  await page.goto(`/admin/rounds/${collecting!.id}`);
  const launch = page.getByRole("form", { name: "Train reward models" });
  await launch.getByRole("button", { name: "Start reward-model training" }).click();
  await expect(page.getByTestId("launch-message-train_reward")).toContainText(reason!);
  expect((await admin.jobs.list.query({})).length).toBe(jobsBefore);
});

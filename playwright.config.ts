// End-to-end tests in Debian's Chromium against the real platform, started by the start command
// with a fresh data folder (embedded PGlite, real engine, a real production build).
import { defineConfig } from "@playwright/test";
import { E2E } from "./e2e/fixtures/env";

export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  outputDir: "test-results/e2e",
  use: {
    baseURL: E2E.baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "node_modules/.bin/tsx scripts/start.ts",
    url: `${E2E.baseURL}/api/healthz`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(E2E.port),
      PAIRWISE_DATA_DIR: E2E.dataDir,
      PGLITE_PORT: String(E2E.pglitePort),
      ENGINE_PORT: String(E2E.enginePort),
      ADMIN_EMAIL: E2E.admin.email,
      ADMIN_PASSWORD: E2E.admin.password,
      ANNOTATOR_EMAIL: E2E.annotator.email,
      ANNOTATOR_PASSWORD: E2E.annotator.password,
    },
  },
});

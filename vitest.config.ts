import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ["lib/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database suites start servers; run files one at a time on 2-core machines.
    fileParallelism: false,
    // `server-only` throws outside a React Server Components build; tests import domain code directly.
    alias: {
      "server-only": new URL("./lib/testing/server-only-stub.ts", import.meta.url).pathname,
    },
  },
});

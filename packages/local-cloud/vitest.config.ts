import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

// Node: the control plane is a host process that runs workerd (through Miniflare) and answers
// real wrangler processes, which these tests start.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    coverage: {
      ...WORKER_COVERAGE,
      // The detached process's entry (argv, signals) only runs in that child, out of the test
      // process's sight; the server it starts is tested in-process.
      exclude: ["src/process/main.ts"],
    },
  },
});

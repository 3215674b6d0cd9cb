import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

// Node, not workerd: these files live on the host's disk and name host processes.
export default defineConfig({
  test: {
    // The torn-write test races a child process that rewrites a file; a loaded machine starts it slowly.
    testTimeout: 60_000,
    coverage: { ...WORKER_COVERAGE, include: ["src/**"] },
  },
});

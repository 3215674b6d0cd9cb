import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fakeWorkerModules } from "@workers/testing/fake-workers";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        workers: [
          {
            name: "queue",
            ...fakeWorkerModules("queue"),
            compatibilityDate: "2026-07-30",
          },
        ],
      },
    }),
  ],
  test: {
    // The first request transforms the worker's module graph on demand; on a shared 2-core
    // machine that alone can pass vitest's 5 s default.
    testTimeout: 30_000,
    coverage: WORKER_COVERAGE,
  },
});

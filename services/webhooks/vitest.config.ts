import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { fakeWorkerModules } from "@workers/testing/fake-workers";
import { sharedDatabase } from "@workers/testing/shared-database";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

const database = await sharedDatabase(new URL(".", import.meta.url).pathname, "webhooks-test-db");
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { WEBHOOK_SECRET: "test-webhook-secret", ...database.bindings },
        d1Databases: database.d1Databases,
        workers: [
          database.dbWorker,
          // The queue is a stand-in that records what it is asked to enqueue and can be told to
          // fail, which the real queue cannot be made to do on demand.
          {
            name: "queue",
            ...fakeWorkerModules("queue"),
            ...compatibility,
          },
        ],
      },
    }),
  ],
  test: {
    globalSetup: ["./test/build-workers.ts"],
    setupFiles: [database.setupFile],
    // The first request transforms the worker's module graph on demand; on a shared 2-core
    // machine that alone can pass vitest's 5 s default.
    testTimeout: 30_000,
    coverage: WORKER_COVERAGE,
  },
});

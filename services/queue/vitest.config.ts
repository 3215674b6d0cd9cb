import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { sharedDatabase } from "@workers/testing/shared-database";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";
import { bundleOf } from "./test/build-workers.ts";

const database = await sharedDatabase(new URL(".", import.meta.url).pathname, "queue-test-db");
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: database.bindings,
        d1Databases: database.d1Databases,
        serviceBindings: { DEAD_LETTERS: "dead-letters" },
        // The real producer and consumer from wrangler.jsonc, with batches flushed quickly.
        queueConsumers: {
          jobs: {
            maxBatchSize: 10,
            maxBatchTimeout: 0.1,
            maxRetries: 3,
            deadLetterQueue: "jobs-dlq",
          },
        },
        workers: [
          database.dbWorker,
          {
            name: "email",
            modules: true,
            scriptPath: bundleOf("email"),
            serviceBindings: { DB: "db" },
            bindings: { EMAIL_TRANSPORT: "recording", EMAIL_FROM: "Tests <tests@example.com>" },
            ...compatibility,
          },
          {
            name: "dead-letters",
            modules: true,
            scriptPath: "./test/fixtures/dead-letters.js",
            queueConsumers: { "jobs-dlq": { maxBatchTimeout: 0.1 } },
            ...compatibility,
          },
        ],
      },
    }),
  ],
  test: {
    globalSetup: ["./test/build-workers.ts"],
    setupFiles: [database.setupFile],
    coverage: WORKER_COVERAGE,
  },
});

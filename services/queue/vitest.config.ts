import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { bundleOf } from "./test/build-workers.ts";

const migrations = await readD1Migrations(new URL("../db/migrations", import.meta.url).pathname);
/** The real db worker and the tests share one D1 database: tests migrate it and inspect rows. */
const DATABASE_ID = "queue-test-db";
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: migrations },
        d1Databases: { TEST_DB: DATABASE_ID },
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
          {
            name: "db",
            modules: true,
            scriptPath: bundleOf("db"),
            d1Databases: { DB: DATABASE_ID },
            ...compatibility,
          },
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
    setupFiles: ["./test/apply-migrations.ts"],
    coverage: {
      provider: "istanbul",
      include: ["src/**"],
      // "json" writes the coverage map the pipeline's gate reads (coverage-final.json).
      reporter: ["text-summary", "json-summary", "json"],
      thresholds: { lines: 80, branches: 80, functions: 80, statements: 80 },
    },
  },
});

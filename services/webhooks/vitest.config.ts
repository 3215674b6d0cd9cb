import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { bundleOf } from "./test/build-workers.ts";

const migrations = await readD1Migrations(new URL("../db/migrations", import.meta.url).pathname);
/** The real db worker and the tests share one D1 database: tests migrate it and age rows. */
const DATABASE_ID = "webhooks-test-db";
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { WEBHOOK_SECRET: "test-webhook-secret", TEST_MIGRATIONS: migrations },
        d1Databases: { TEST_DB: DATABASE_ID },
        workers: [
          {
            name: "db",
            modules: true,
            scriptPath: bundleOf("db"),
            d1Databases: { DB: DATABASE_ID },
            ...compatibility,
          },
          // The queue is a stand-in that records what it is asked to enqueue and can be told to
          // fail, which the real queue cannot be made to do on demand.
          {
            name: "queue",
            modules: true,
            scriptPath: new URL("./test/fakes/queue.js", import.meta.url).pathname,
            ...compatibility,
          },
        ],
      },
    }),
  ],
  test: {
    globalSetup: ["./test/build-workers.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    // The first request transforms the worker's module graph on demand; on a shared 2-core
    // machine that alone can pass vitest's 5 s default.
    testTimeout: 30_000,
    coverage: {
      provider: "istanbul",
      include: ["src/**"],
      // "json" writes the coverage map the pipeline's gate reads (coverage-final.json).
      reporter: ["text-summary", "json-summary", "json"],
      thresholds: { lines: 80, branches: 80, functions: 80, statements: 80 },
    },
  },
});

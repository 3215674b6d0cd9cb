import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { sharedDatabase } from "@workers/testing/shared-database";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

const database = await sharedDatabase(new URL(".", import.meta.url).pathname, "auth-test-db");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: database.bindings,
        d1Databases: database.d1Databases,
        workers: [database.dbWorker],
      },
    }),
  ],
  test: {
    globalSetup: ["./test/build-workers.ts"],
    setupFiles: [database.setupFile],
    coverage: WORKER_COVERAGE,
  },
});

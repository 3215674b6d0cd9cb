import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { sharedDatabase } from "@workers/testing/shared-database";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

const database = await sharedDatabase(new URL(".", import.meta.url).pathname, "email-test-db");
const compatibility = { compatibilityDate: "2026-07-30", compatibilityFlags: ["nodejs_compat"] };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: database.bindings,
        d1Databases: database.d1Databases,
        serviceBindings: { PROVIDER: "email-provider" },
        // The http transport's real fetch() leaves the worker and reaches the stand-in provider.
        outboundService: "email-provider",
        workers: [
          database.dbWorker,
          {
            name: "email-provider",
            modules: true,
            scriptPath: "./test/fixtures/provider.js",
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

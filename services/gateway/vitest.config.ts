import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

const SERVICES = ["auth", "db", "queue", "email", "webhooks", "mcp", "schedule"];
const fakeScript = new URL("./test/fakes/service.js", import.meta.url).pathname;

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { ADMIN_TOKEN: "test-admin-token" },
        workers: SERVICES.map((name) => ({
          name,
          modules: true,
          scriptPath: fakeScript,
          compatibilityDate: "2026-07-30",
          bindings: { SERVICE_NAME: name },
        })),
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

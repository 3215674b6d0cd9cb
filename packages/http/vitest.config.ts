import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    // No Worker of its own: the tests run in workerd, whose streams the services' bodies are.
    cloudflareTest({ miniflare: { compatibilityDate: "2026-07-30" } }),
  ],
  test: {
    coverage: WORKER_COVERAGE,
  },
});

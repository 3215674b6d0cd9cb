import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const fakeWorker = (name: string) => ({
  name,
  modules: true,
  scriptPath: new URL(`./test/fakes/${name}.js`, import.meta.url).pathname,
  compatibilityDate: "2026-07-30",
});

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        workers: [fakeWorker("db"), fakeWorker("queue"), fakeWorker("email")],
      },
    }),
  ],
  test: {
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

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: migrations },
        d1Databases: { UNMIGRATED_DB: "unmigrated", UPGRADED_DB: "upgraded" },
      },
    }),
  ],
  test: {
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

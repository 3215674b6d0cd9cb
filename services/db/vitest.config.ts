import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { WORKER_COVERAGE } from "@workers/testing/worker-coverage";
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
    coverage: WORKER_COVERAGE,
  },
});

import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { workerTestConfig } from "@workers/testing/worker-test-config";

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default workerTestConfig({
  serviceDir: new URL(".", import.meta.url).pathname,
  miniflare: {
    bindings: { TEST_MIGRATIONS: migrations },
    d1Databases: { UNMIGRATED_DB: "unmigrated", UPGRADED_DB: "upgraded" },
  },
  setupFiles: ["./test/apply-migrations.ts"],
});

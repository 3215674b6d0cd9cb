import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const testDir = dirname(fileURLToPath(import.meta.url));
const servicesDir = join(testDir, "../..");
const outRoot = join(testDir, "../.wrangler/test-workers");
const DEPENDENCIES = ["db"];

/** Where each dependency's bundle lands; vitest.config.ts points the auxiliary workers here. */
export const bundleOf = (service: string) => join(outRoot, service, "index.js");

/**
 * Auxiliary workers must be built JavaScript, so the real dependencies are bundled exactly as
 * they would be deployed (wrangler's dry run) before the pool starts them.
 */
export default function setup(): void {
  const wrangler = join(
    dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
    "bin/wrangler.js",
  );
  for (const service of DEPENDENCIES) {
    execFileSync(
      process.execPath,
      [wrangler, "deploy", "--dry-run", "--env", "", "--outdir", join(outRoot, service)],
      {
        cwd: join(servicesDir, service),
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  }
}

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

/** Inside the tested service's own .wrangler folder, which git and biome already ignore. */
const outRoot = (serviceDir: string) => join(serviceDir, ".wrangler/test-workers");

/**
 * Where the bundle of `service` (a sibling of `serviceDir`) lands; a vitest config points an
 * auxiliary worker's `scriptPath` here.
 */
export const bundlePath = (serviceDir: string, service: string) =>
  join(outRoot(serviceDir), service, "index.js");

/**
 * Auxiliary workers must be built JavaScript, so the real dependencies are bundled exactly as
 * they would be deployed (wrangler's dry run) before the pool starts them. For a service's
 * vitest `globalSetup`.
 */
export function buildWorkers(serviceDir: string, services: readonly string[]): void {
  const wrangler = join(
    createRequire(import.meta.url).resolve("wrangler/package.json"),
    "../bin/wrangler.js",
  );
  for (const service of services) {
    execFileSync(
      process.execPath,
      [
        wrangler,
        "deploy",
        "--dry-run",
        "--env",
        "",
        "--outdir",
        join(outRoot(serviceDir), service),
      ],
      {
        cwd: join(serviceDir, "..", service),
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  }
}

import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readWranglerConfig, type WranglerConfig } from "./wrangler-config.js";

export const repoRoot = resolve(import.meta.dirname, "../../..");

export interface ServiceConfig {
  /** Worker name from wrangler.jsonc, which is what service bindings refer to. */
  name: string;
  dir: string;
  config: WranglerConfig;
}

// Every directory under services/ with a wrangler.jsonc is a worker: no hand-kept list.
export async function discoverServices(): Promise<ServiceConfig[]> {
  const servicesDir = join(repoRoot, "services");
  const entries = await readdir(servicesDir, { withFileTypes: true });
  const dirs = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(servicesDir, entry.name))
    .filter((dir) => existsSync(join(dir, "wrangler.jsonc")))
    .sort();
  return Promise.all(
    dirs.map(async (dir) => {
      const config = await readWranglerConfig(dir);
      return { name: config.name, dir, config };
    }),
  );
}

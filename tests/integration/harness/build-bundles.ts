import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { execa } from "execa";
import type { ServiceConfig } from "./services.js";

export interface BuiltService extends ServiceConfig {
  /** The bundled entry module wrangler would upload. */
  scriptPath: string;
}

// Two at a time: the machines have two cores and wrangler/esbuild keep one busy each.
const BUILD_CONCURRENCY = 2;

// wrangler's exports map hides bin/, so locate it from package.json and run it with this Node
// (>= 22): a bare `wrangler` on PATH could pick up the machine's Node 20.
const wranglerPackageJson = createRequire(import.meta.url).resolve("wrangler/package.json");
const wranglerBin = join(dirname(wranglerPackageJson), "bin", "wrangler.js");

// Real wrangler bundling (the same step as a deploy, without uploading), so the cluster runs
// exactly the code a deploy would ship. `--env ""` selects the top-level config explicitly.
async function buildService(service: ServiceConfig, outRoot: string): Promise<BuiltService> {
  const outdir = join(outRoot, service.name);
  const result = await execa(
    process.execPath,
    [wranglerBin, "deploy", "--dry-run", "--outdir", outdir, "--env", ""],
    { cwd: service.dir, reject: false, all: true, env: { WRANGLER_SEND_METRICS: "false" } },
  );
  if (result.exitCode !== 0) {
    throw new Error(`wrangler build of ${service.name} failed:\n${result.all}`);
  }
  return { ...service, scriptPath: join(outdir, "index.js") };
}

export async function buildServices(
  services: ServiceConfig[],
  outRoot: string,
): Promise<BuiltService[]> {
  const built: BuiltService[] = [];
  const queue = [...services];
  const runner = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      built.push(await buildService(next, outRoot));
    }
  };
  await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, runner));
  return built.sort((a, b) => a.name.localeCompare(b.name));
}

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { cachedBuild } from "./bundle-cache.js";
import { repoRoot, type ServiceConfig } from "./services.js";

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

/**
 * Bundles survive between runs, keyed by content: a service whose sources, dependencies and
 * configs are unchanged is not bundled again, so a change to one service rebuilds one.
 */
const CACHE_DIR = join(repoRoot, "node_modules", ".cache", "integration-bundles");
// `--env ""` selects the top-level config explicitly.
const BUILD_ARGS = ["deploy", "--dry-run", "--env", "", "--metafile"];

/** What wrangler reads besides the modules esbuild reports: configs and installed versions. */
function configFiles(service: ServiceConfig): string[] {
  return [
    join(service.dir, "wrangler.jsonc"),
    join(service.dir, "package.json"),
    join(service.dir, "tsconfig.json"),
    join(repoRoot, "tsconfig.base.json"),
    join(repoRoot, "tsconfig.worker.json"),
    join(repoRoot, "pnpm-lock.yaml"),
    wranglerPackageJson,
  ];
}

// Real wrangler bundling (the same step as a deploy, without uploading), so the cluster runs
// exactly the code a deploy would ship.
async function buildService(service: ServiceConfig): Promise<BuiltService> {
  const { dir } = await cachedBuild(
    join(CACHE_DIR, service.name),
    BUILD_ARGS,
    configFiles(service),
    async (outdir) => {
      const result = await execa(
        process.execPath,
        [wranglerBin, ...BUILD_ARGS, "--outdir", outdir],
        {
          cwd: service.dir,
          reject: false,
          all: true,
          env: { WRANGLER_SEND_METRICS: "false" },
        },
      );
      if (result.exitCode !== 0) {
        throw new Error(`wrangler build of ${service.name} failed:\n${result.all}`);
      }
      // esbuild's metafile: every module it bundled, relative to the service's directory.
      const meta = JSON.parse(await readFile(join(outdir, "bundle-meta.json"), "utf8")) as {
        inputs: Record<string, unknown>;
      };
      return Object.keys(meta.inputs).map((input) => resolve(service.dir, input));
    },
  );
  return { ...service, scriptPath: join(dir, "index.js") };
}

export async function buildServices(services: ServiceConfig[]): Promise<BuiltService[]> {
  const built: BuiltService[] = [];
  const queue = [...services];
  const runner = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      built.push(await buildService(next));
    }
  };
  await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, runner));
  return built.sort((a, b) => a.name.localeCompare(b.name));
}

import { statSync } from "node:fs";
import { resolve } from "node:path";
import { discoverServices, type ServiceCatalog } from "#core";
import { UsageError } from "../command.js";
import { fsRepoReader } from "./fs-repo-reader.js";
import { rememberedCatalog } from "./remembered-catalog.js";
import { rememberedConfigReader } from "./remembered-config-reader.js";
import { findRepoRoot } from "./repo-root.js";
import { runningBuild } from "./running-build.mjs";
import { wranglerConfigReader, wranglerLocator } from "./wrangler-config-reader.js";

export interface Workspace {
  root: string;
  catalog: ServiceCatalog;
}

/**
 * The repository around `cwd` and its services, their configs read by wrangler. What discovery
 * found is remembered while nothing it read changes (remembered-catalog.ts), and each config
 * while it and wrangler stay the same (remembered-config-reader.ts).
 */
export async function loadWorkspace(
  cwd: string,
  env: NodeJS.ProcessEnv,
  build: string | undefined = runningBuild(),
): Promise<Workspace> {
  const root = findRepoRoot(cwd);
  const locate = wranglerLocator(root);
  const sources = {
    reader: fsRepoReader(root),
    readWrangler: rememberedConfigReader(root, env, wranglerConfigReader(root), locate),
    locate,
  };
  return {
    root,
    catalog: await rememberedCatalog(root, sources, discoverServices, { build, env }),
  };
}

/** Where a command with `--repo <path>` works: that folder (relative to cwd), else cwd. */
export function workspaceCwd(cwd: string, repo: string | undefined): string {
  if (repo === undefined) {
    return cwd;
  }
  const dir = resolve(cwd, repo);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--repo ${repo}: no such folder`);
  }
  return dir;
}

import { statSync } from "node:fs";
import { resolve } from "node:path";
import { discoverServices, type ServiceCatalog } from "#core";
import { UsageError } from "../command.js";
import { fsRepoReader } from "./fs-repo-reader.js";
import { rememberedConfigReader } from "./remembered-config-reader.js";
import { findRepoRoot } from "./repo-root.js";
import { wranglerConfigReader, wranglerLocator } from "./wrangler-config-reader.js";

export interface Workspace {
  root: string;
  catalog: ServiceCatalog;
}

/**
 * The repository around `cwd` and its services, their configs read by wrangler (remembered
 * between runs while the configs and wrangler stay the same).
 */
export async function loadWorkspace(cwd: string, env: NodeJS.ProcessEnv): Promise<Workspace> {
  const root = findRepoRoot(cwd);
  const read = rememberedConfigReader(root, env, wranglerConfigReader(root), wranglerLocator(root));
  return { root, catalog: await discoverServices(fsRepoReader(root), read) };
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

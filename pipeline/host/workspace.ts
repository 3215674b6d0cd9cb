import { statSync } from "node:fs";
import { resolve } from "node:path";
import { discoverServices, type ServiceCatalog } from "#core";
import { UsageError } from "../command.js";
import { fsRepoReader } from "./fs-repo-reader.js";
import { findRepoRoot } from "./repo-root.js";
import { wranglerConfigReader } from "./wrangler-config-reader.js";

export interface Workspace {
  root: string;
  catalog: ServiceCatalog;
}

export async function loadWorkspace(cwd: string): Promise<Workspace> {
  const root = findRepoRoot(cwd);
  return {
    root,
    catalog: await discoverServices(fsRepoReader(root), wranglerConfigReader(root)),
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

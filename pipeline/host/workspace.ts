import type { ServiceCatalog } from "../../dagger/src/core/services/catalog.js";
import { discoverServices } from "../../dagger/src/core/services/discover.js";
import { fsRepoReader } from "./fs-repo-reader.js";
import { findRepoRoot } from "./repo-root.js";

export interface Workspace {
  root: string;
  catalog: ServiceCatalog;
}

export async function loadWorkspace(cwd: string): Promise<Workspace> {
  const root = findRepoRoot(cwd);
  return { root, catalog: await discoverServices(fsRepoReader(root)) };
}

import { join } from "node:path";
import {
  buildCiSteps,
  discoverServices,
  readToolchainVersions,
  type ServiceCatalog,
  type Step,
  type ToolchainVersions,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";

export const repoRoot = join(import.meta.dirname, "..", "..", "..");

/** This repository's services and libraries, as discovery reads them. */
export function repoCatalog(): Promise<ServiceCatalog> {
  return discoverServices(fsRepoReader(repoRoot));
}

/** The CI step graph of this repository, as both runners build it (`ci` without --base). */
export async function repoCiSteps(): Promise<Step[]> {
  return buildCiSteps(await repoCatalog());
}

/** The Node and pnpm this repository's containers are built with. */
export function repoToolchain(): Promise<ToolchainVersions> {
  return readToolchainVersions(fsRepoReader(repoRoot));
}

export function stepById(steps: readonly Step[], id: string): Step {
  const step = steps.find((candidate) => candidate.id === id);
  if (!step) {
    throw new Error(`no step ${id} in ${steps.map((candidate) => candidate.id).join(", ")}`);
  }
  return step;
}

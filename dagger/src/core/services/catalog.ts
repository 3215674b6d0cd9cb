import type { HealthContract } from "../config/health-contracts.js";
import type { PipelineSettings } from "../config/pipeline-settings.js";
import type { PackageManager } from "../package-manager.js";
import type { ResourceBinding } from "./bindings.js";

/**
 * An environment name as the Workers' configs declare it (`env.<name>`), or `@local` for the
 * top level of each config. Any string: discovery knows the valid ones (see `deployTargets`).
 */
export type DeployTarget = string;

/**
 * The top level of every wrangler config, which the local control plane deploys. The `@` keeps
 * it apart from every `env.<name>`: wrangler derives a Worker name `<name>-<env>` from an
 * environment's name, and a Worker name cannot hold `@`, so no repository names an environment so.
 */
export const LOCAL_TARGET = "@local";

export interface ServiceInfo {
  /** The folder name, used everywhere as the Worker's identity (unique among Workers). */
  name: string;
  /** Repository-relative directory, e.g. `services/db` or `apps/api`. */
  dir: string;
  /** The package.json name, e.g. `@workers/db`, for `pnpm --filter`. */
  packageName: string;
  /** Repository-relative path of its wrangler config (`wrangler.jsonc`, `.json` or `.toml`). */
  wranglerFile: string;
  /** Names (services or libraries) of the workspace packages this one depends on directly. */
  workspaceDependencies: string[];
  /** The targets it can deploy: `@local` and its `env.<name>` sections, less those left out. */
  targets: DeployTarget[];
  /**
   * Targets its config declares but that it cannot deploy (no Worker name there, a key wrangler
   * rejects...), each with one line naming the file: a deploy there leaves it out, saying so.
   */
  leftOut: Record<DeployTarget, string>;
  /** Why its config cannot be read at all, in one line naming the file: it deploys nowhere. */
  undeployable?: string;
  /** The Worker name wrangler deploys for each target. */
  workerNames: Record<DeployTarget, string>;
  /** Services this one binds to (service bindings), per target. */
  bindings: Record<DeployTarget, string[]>;
  /** Bound Worker names that no service in this repository deploys (not ordered by waves). */
  externalBindings: Record<DeployTarget, string[]>;
  /** Every other binding (KV, R2, D1, Durable Objects, queues, AI...), per target. */
  resources: Record<DeployTarget, ResourceBinding[]>;
  /** Repository-relative path of `smoke.json` when the service declares smoke tests. */
  smokeTestFile?: string;
  /** The path the deploy polls until a new version answers healthy. */
  healthPath: string;
  /** What answering healthy means there (see HealthContract). */
  healthContract: HealthContract;
  /** Its package.json scripts: where its test, typecheck and lint steps come from. */
  scripts: Record<string, string>;
  /** Whether its folder holds a tsconfig.json (the typecheck fallback runs tsc on it). */
  hasTsconfig: boolean;
}

/** A workspace package without a wrangler config: not deployed, but its changes reach its dependents. */
export interface LibraryInfo {
  /** The package.json name (folder names may repeat among libraries, package names may not). */
  name: string;
  dir: string;
  packageName: string;
  /** Names (services or libraries) of the workspace packages this one depends on directly. */
  workspaceDependencies: string[];
  /** Its package.json scripts: where its test, typecheck and lint steps come from. */
  scripts: Record<string, string>;
  /** Whether its folder holds a tsconfig.json (the typecheck fallback runs tsc on it). */
  hasTsconfig: boolean;
}

/** The names a root biome config goes by: discovery looks for them, the lint step holds them. */
export const BIOME_CONFIG_FILES = ["biome.json", "biome.jsonc"] as const;

/** What the repository root offers the check steps (see steps.ts for how they are chosen). */
export interface RootTooling {
  /** The root package.json scripts (empty when there is no root package.json). */
  scripts: Record<string, string>;
  /** The linter whose config sits at the root, biome first: `biome ci` also checks formatting. */
  linter?: "biome" | "eslint";
  /** Which package manager the steps run (pnpm when absent). */
  packageManager?: PackageManager;
}

export interface ServiceCatalog {
  /** The Workers, sorted by name. */
  services: ServiceInfo[];
  /** The other workspace packages, sorted by name. */
  libraries: LibraryInfo[];
  /** The repository's settings: its pipeline config over the defaults. */
  settings: PipelineSettings;
  /** The root's scripts and linter config. */
  root: RootTooling;
}

export function serviceNames(catalog: ServiceCatalog): string[] {
  return catalog.services.map((service) => service.name);
}

export function findService(catalog: ServiceCatalog, name: string): ServiceInfo | undefined {
  return catalog.services.find((service) => service.name === name);
}

/** Resolves user-supplied service names, failing with the valid choices on the first unknown one. */
export function requireServices(catalog: ServiceCatalog, names: readonly string[]): ServiceInfo[] {
  return names.map((name) => {
    const service = findService(catalog, name);
    if (!service) {
      throw new UnknownServiceError(name, serviceNames(catalog));
    }
    return service;
  });
}

export class UnknownServiceError extends Error {
  constructor(
    readonly service: string,
    readonly validChoices: string[],
  ) {
    super(`unknown service "${service}"; valid services: ${validChoices.join(", ")}`);
    this.name = "UnknownServiceError";
  }
}

import picomatch from "picomatch";
import { parseConfig, ServiceConfigError } from "../config/config-error.js";
import { DEFAULT_HEALTH_PATH, type HealthContract } from "../config/health-contracts.js";
import { PIPELINE_CONFIG_FILE, type PipelineConfig } from "../config/pipeline-config.js";
import { pipelineSettings } from "../config/pipeline-settings.js";
import { readJsoncFile } from "../config/read-config.js";
import { readPipelineConfig } from "../config/read-pipeline-config.js";
import { detectPackageManager } from "../package-manager.js";
import type { RepoReader } from "../repo-reader.js";
import type { ResourceBinding } from "./bindings.js";
import {
  BIOME_CONFIG_FILES,
  type DeployTarget,
  type LibraryInfo,
  LOCAL_TARGET,
  type RootTooling,
  type ServiceCatalog,
  type ServiceInfo,
} from "./catalog.js";
import {
  type LibraryPackageJson,
  libraryPackageJsonSchema,
  rootPackageJsonSchema,
  servicePackageJsonSchema,
} from "./config-schemas.js";
import { expandWorkspaceGlobs, workspaceGlobs } from "./workspace-packages.js";
import {
  ownWranglerConfigReader,
  type ResolvedEnvironment,
  type WorkerEnvironments,
  type WranglerConfigReader,
} from "./wrangler-environments.js";

/** The file names wrangler looks for, in the order it prefers them. */
const WRANGLER_CONFIG_FILES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

interface WorkspacePackage {
  dir: string;
  packageJson: LibraryPackageJson;
  hasTsconfig: boolean;
}

interface WorkerConfigs extends WorkspacePackage {
  /** The folder name: the Worker's identity. */
  name: string;
  wranglerFile: string;
  environments: Record<DeployTarget, ResolvedEnvironment>;
  /** Declared targets it cannot deploy, each with one line saying why. */
  leftOut: Record<DeployTarget, string>;
  /** Why its config cannot be read at all (it then deploys nowhere). */
  undeployable?: string;
  /** The package.json name of the package whose subfolder holds it, for a nested Worker. */
  nestedIn?: string;
  healthPath: string;
  healthContract: HealthContract;
  smokeTestFile?: string;
}

/**
 * Reads the workspace's packages (pnpm-workspace.yaml globs, `!` globs included): a package whose
 * folder holds a wrangler config is a Worker, every other one a library. Resolves workspace
 * dependencies to package identities and service bindings to Workers, per environment.
 * `readWrangler` reads each Worker's config (wrangler's own reader on the host); without it, the
 * pipeline's own parser does, as in the Dagger module.
 */
export async function discoverServices(
  reader: RepoReader,
  readWrangler: WranglerConfigReader = ownWranglerConfigReader(reader),
): Promise<ServiceCatalog> {
  const config = await readPipelineConfig(reader);
  const dirs = await expandWorkspaceGlobs(reader, await workspaceGlobs(reader));
  // The config's `workers` globs narrow which packages with a wrangler config are Workers.
  const isWorkerDir = config.workers ? picomatch(config.workers) : () => true;
  // Each package is read on its own, all at once (their files are many small reads, and a
  // host reads them in parallel); what they found is then taken in the globs' order, and of two
  // broken packages, the first in that order is the one reported.
  const found = await Promise.allSettled(
    dirs.map((dir) => readPackage(reader, readWrangler, dir, config, isWorkerDir)),
  );
  const workers: WorkerConfigs[] = [];
  const libraries: WorkspacePackage[] = [];
  for (const result of found) {
    if (result.status === "rejected") throw result.reason;
    workers.push(...result.value.workers);
    if (result.value.library) libraries.push(result.value.library);
  }
  const named = uniqueNames(workers);
  requireConfiguredWorkers(config, workers);
  requireIntegrationPackage(config, [...named, ...libraries]);
  const identity = packageIdentities(named, libraries);
  return {
    services: named
      .map((worker) => resolveService(worker, named, identity))
      .sort((a, b) => a.name.localeCompare(b.name)),
    libraries: libraries
      .map(
        (library): LibraryInfo => ({
          name: library.packageJson.name,
          dir: library.dir,
          packageName: library.packageJson.name,
          workspaceDependencies: workspaceDependencies(library.packageJson, identity),
          scripts: library.packageJson.scripts ?? {},
          hasTsconfig: library.hasTsconfig,
        }),
      )
      .sort((a, b) => a.name.localeCompare(b.name)),
    settings: pipelineSettings(config),
    root: await rootTooling(reader),
  };
}

/** One workspace package: a Worker, or a library with the Workers nested in it (if any). */
async function readPackage(
  reader: RepoReader,
  readWrangler: WranglerConfigReader,
  dir: string,
  config: PipelineConfig,
  isWorkerDir: (dir: string) => boolean,
): Promise<{ workers: WorkerConfigs[]; library?: WorkspacePackage }> {
  const wranglerFile = isWorkerDir(dir) ? await findWranglerConfig(reader, dir) : undefined;
  if (wranglerFile) {
    return { workers: [await readWorker(reader, readWrangler, dir, wranglerFile, config)] };
  }
  const packageFile = `${dir}/package.json`;
  const packageJson = parseConfig(
    libraryPackageJsonSchema,
    await readJsoncFile(reader, packageFile),
    packageFile,
  );
  const library = { dir, packageJson, hasTsconfig: await hasTsconfig(reader, dir) };
  if (!config.workers) return { workers: [], library };
  const workers: WorkerConfigs[] = [];
  for (const nested of await nestedWorkerConfigs(reader, dir, isWorkerDir)) {
    workers.push(
      await readWorker(reader, readWrangler, nested.dir, nested.wranglerFile, config, library),
    );
  }
  return { workers, library };
}

async function hasTsconfig(reader: RepoReader, dir: string): Promise<boolean> {
  return (await reader.readText(`${dir}/tsconfig.json`)) !== undefined;
}

/** Config files of the linters the lint step knows, biome's first (see RootTooling.linter). */
const LINTER_CONFIGS = [
  ["biome", BIOME_CONFIG_FILES],
  [
    "eslint",
    [
      "eslint.config.js",
      "eslint.config.mjs",
      "eslint.config.cjs",
      "eslint.config.ts",
      ".eslintrc.json",
      ".eslintrc.js",
      ".eslintrc.cjs",
    ],
  ],
] as const;

/** The root's scripts, linter config and package manager, which choose the step commands. */
async function rootTooling(reader: RepoReader): Promise<RootTooling> {
  const packageManager = await detectPackageManager(reader);
  const scripts =
    (await reader.readText("package.json")) === undefined
      ? {}
      : (parseConfig(
          rootPackageJsonSchema,
          await readJsoncFile(reader, "package.json"),
          "package.json",
        ).scripts ?? {});
  for (const [linter, files] of LINTER_CONFIGS) {
    for (const file of files) {
      if ((await reader.readText(file)) !== undefined) {
        return { scripts, linter, packageManager };
      }
    }
  }
  return { scripts, packageManager };
}

/** The integration package is named by package.json name, so a typo would silently drop it. */
function requireIntegrationPackage(
  config: PipelineConfig,
  packages: readonly WorkspacePackage[],
): void {
  const named = config.integrationTests?.package;
  const names = packages.map((pkg) => pkg.packageJson.name).sort();
  if (named !== undefined && !names.includes(named)) {
    throw new ServiceConfigError(
      PIPELINE_CONFIG_FILE,
      "integrationTests.package",
      `expected the package.json name of a workspace package (${names.join(", ")}), got "${named}"`,
    );
  }
}

/** The package's wrangler config; two or more are ambiguous (wrangler would pick one silently). */
async function findWranglerConfig(reader: RepoReader, dir: string): Promise<string | undefined> {
  const present: string[] = [];
  for (const file of WRANGLER_CONFIG_FILES) {
    if ((await reader.readText(`${dir}/${file}`)) !== undefined) {
      present.push(`${dir}/${file}`);
    }
  }
  if (present.length > 1) {
    throw new ServiceConfigError(
      dir,
      "",
      `two wrangler configs, ${present.join(" and ")}; keep one`,
    );
  }
  return present[0];
}

/** How deep below a package the `workers` globs look for nested Workers' configs. */
const NESTED_DEPTH = 4;

/**
 * Wrangler configs in subfolders of a package (several Workers sharing one package.json), where
 * the pipeline config's `workers` globs name those folders: by default nested configs are
 * left alone, since most are test fixtures (`src/tests/wrangler.jsonc`).
 */
async function nestedWorkerConfigs(
  reader: RepoReader,
  packageDir: string,
  isWorkerDir: (dir: string) => boolean,
): Promise<{ dir: string; wranglerFile: string }[]> {
  const found: { dir: string; wranglerFile: string }[] = [];
  let level = [packageDir];
  for (let depth = 0; depth < NESTED_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      for (const name of await reader.listDirectories(parent)) {
        if (name === "node_modules" || name.startsWith(".")) continue;
        const dir = `${parent}/${name}`;
        next.push(dir);
        const wranglerFile = isWorkerDir(dir) ? await findWranglerConfig(reader, dir) : undefined;
        if (wranglerFile !== undefined) found.push({ dir, wranglerFile });
      }
    }
    level = next;
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

async function readWorker(
  reader: RepoReader,
  readWrangler: WranglerConfigReader,
  dir: string,
  wranglerFile: string,
  config: PipelineConfig,
  container?: WorkspacePackage,
): Promise<WorkerConfigs> {
  const packageFile = `${dir}/package.json`;
  // A nested Worker belongs to its package: its steps are the package's, and so is its name.
  const packageJson = container
    ? { name: container.packageJson.name }
    : parseConfig(servicePackageJsonSchema, await readJsoncFile(reader, packageFile), packageFile);
  const read = await readWorkerEnvironments(readWrangler, wranglerFile);
  const environments = read.resolved;
  const leftOut = { ...read.leftOut, ...repeatedWorkerNames(environments, wranglerFile) };
  for (const target of Object.keys(leftOut)) {
    delete environments[target];
  }
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  const settings = config.services?.[name];
  // A configured smoke test file must exist (the deploy plan says so); the default is optional.
  const defaultSmokeTests = `${dir}/smoke.json`;
  const smokeTestFile =
    settings?.smokeTests ??
    ((await reader.readText(defaultSmokeTests)) === undefined ? undefined : defaultSmokeTests);
  return {
    name,
    dir,
    packageJson,
    hasTsconfig: container ? false : await hasTsconfig(reader, dir),
    wranglerFile,
    environments,
    ...(container ? { nestedIn: container.packageJson.name } : {}),
    leftOut,
    ...(read.undeployable === undefined ? {} : { undeployable: read.undeployable }),
    healthPath: settings?.healthPath ?? config.healthPath ?? DEFAULT_HEALTH_PATH,
    healthContract: settings?.healthContract ?? config.healthContract ?? "version",
    ...(smokeTestFile === undefined ? {} : { smokeTestFile }),
  };
}

/** A config that cannot be read at all leaves its Worker with no target, not the repository stuck. */
async function readWorkerEnvironments(
  readWrangler: WranglerConfigReader,
  file: string,
): Promise<WorkerEnvironments> {
  try {
    return await readWrangler(file);
  } catch (error) {
    if (error instanceof ServiceConfigError) {
      return { declared: [], resolved: {}, leftOut: {}, undeployable: error.message };
    }
    throw error;
  }
}

/**
 * Two targets deploying the same Worker would overwrite each other (wrangler allows it): the later
 * one is left out. `@local` comes first, so a repeat is always an `env.<target>` section.
 */
function repeatedWorkerNames(
  environments: Record<DeployTarget, ResolvedEnvironment>,
  file: string,
): Record<DeployTarget, string> {
  const first = new Map<string, DeployTarget>();
  const repeated: Record<DeployTarget, string> = {};
  for (const [target, env] of Object.entries(environments)) {
    const earlier = first.get(env.workerName);
    if (earlier === undefined) {
      first.set(env.workerName, target);
    } else {
      repeated[target] =
        `${file}: env.${target}.name: "${env.workerName}" is also the ${earlier} Worker; expected distinct Worker names per environment`;
    }
  }
  return repeated;
}

/** Settings for a Worker that does not exist are a typo, not something to ignore. */
function requireConfiguredWorkers(config: PipelineConfig, workers: readonly WorkerConfigs[]): void {
  const names = workers.map((worker) => worker.name);
  const unknown = Object.keys(config.services ?? {}).find((name) => !names.includes(name));
  if (unknown !== undefined) {
    throw new ServiceConfigError(
      PIPELINE_CONFIG_FILE,
      `services.${unknown}`,
      `expected the name of a Worker (${names.join(", ")})`,
    );
  }
}

/**
 * Workers are named by their folder; Workers in folders of the same name (`guides/chat` and
 * `examples/chat`) are named by their path instead, `/` as `-`, so neither stops discovery.
 */
function uniqueNames(workers: readonly WorkerConfigs[]): WorkerConfigs[] {
  const count = new Map<string, number>();
  for (const worker of workers) {
    count.set(worker.name, (count.get(worker.name) ?? 0) + 1);
  }
  const named = workers.map((worker) =>
    (count.get(worker.name) ?? 0) > 1
      ? { ...worker, name: worker.dir.replaceAll("/", "-") }
      : worker,
  );
  requireUniqueNames(named);
  return named;
}

function requireUniqueNames(workers: readonly WorkerConfigs[]): void {
  const seen = new Map<string, string>();
  for (const worker of workers) {
    const other = seen.get(worker.name);
    if (other !== undefined) {
      throw new ServiceConfigError(
        worker.dir,
        "",
        `a Worker named "${worker.name}" is also at ${other}; Workers are named by their folder (by their path where folders share a name), so rename one`,
      );
    }
    seen.set(worker.name, worker.dir);
  }
}

/** package.json name -> the pipeline's name for it (a Worker's folder, a library's package name). */
function packageIdentities(
  workers: readonly WorkerConfigs[],
  libraries: readonly WorkspacePackage[],
): Map<string, string> {
  return new Map([
    ...workers
      .filter((worker) => worker.nestedIn === undefined)
      .map((worker): [string, string] => [worker.packageJson.name, worker.name]),
    ...libraries.map((library): [string, string] => [
      library.packageJson.name,
      library.packageJson.name,
    ]),
  ]);
}

function workspaceDependencies(
  packageJson: LibraryPackageJson,
  identity: ReadonlyMap<string, string>,
): string[] {
  const declared = { ...packageJson.devDependencies, ...packageJson.dependencies };
  return Object.entries(declared)
    .filter(([name, version]) => name !== packageJson.name && version.startsWith("workspace:"))
    .flatMap(([name]) => {
      const resolved = identity.get(name);
      return resolved === undefined ? [] : [resolved];
    })
    .sort();
}

function resolveService(
  worker: WorkerConfigs,
  all: readonly WorkerConfigs[],
  identity: ReadonlyMap<string, string>,
): ServiceInfo {
  const targets = Object.keys(worker.environments);
  const perTarget = <T>(pick: (target: DeployTarget, env: ResolvedEnvironment) => T) =>
    Object.fromEntries(
      Object.entries(worker.environments).map(([target, env]) => [target, pick(target, env)]),
    );
  const bindings = perTarget((target, env) => resolveBindings(worker, target, env, all));
  return {
    name: worker.name,
    dir: worker.dir,
    packageName: worker.packageJson.name,
    wranglerFile: worker.wranglerFile,
    // A nested Worker changes whenever its package does: it depends on it, as on a library.
    workspaceDependencies:
      worker.nestedIn === undefined
        ? workspaceDependencies(worker.packageJson, identity)
        : [worker.nestedIn],
    targets,
    workerNames: perTarget((_, env) => env.workerName),
    bindings: Object.fromEntries(targets.map((t) => [t, bindings[t]?.services ?? []])),
    externalBindings: Object.fromEntries(targets.map((t) => [t, bindings[t]?.external ?? []])),
    resources: perTarget((_, env): ResourceBinding[] => env.resources),
    leftOut: worker.leftOut,
    ...(worker.undeployable === undefined ? {} : { undeployable: worker.undeployable }),
    healthPath: worker.healthPath,
    healthContract: worker.healthContract,
    scripts: worker.packageJson.scripts ?? {},
    hasTsconfig: worker.hasTsconfig,
    ...(worker.smokeTestFile ? { smokeTestFile: worker.smokeTestFile } : {}),
  };
}

/**
 * Maps each binding's Worker name to the Worker that deploys it in the same target. A binding to
 * another environment's Worker (staging calling production) is rejected; a Worker no package
 * here deploys is outside the monorepo and kept apart, since nothing orders it.
 */
function resolveBindings(
  worker: WorkerConfigs,
  target: DeployTarget,
  env: ResolvedEnvironment,
  all: readonly WorkerConfigs[],
): { services: string[]; external: string[] } {
  const field = target === LOCAL_TARGET ? "services" : `env.${target}.services`;
  const services = new Set<string>();
  const external = new Set<string>();
  env.services.forEach((binding, index) => {
    const owner = all.find((other) => other.environments[target]?.workerName === binding.service);
    if (owner === worker) {
      // A binding to its own named entrypoint (RPC within one Worker) orders no deploy.
      return;
    }
    if (owner) {
      services.add(owner.name);
      return;
    }
    const elsewhere = all.find((other) =>
      Object.values(other.environments).some((e) => e.workerName === binding.service),
    );
    if (elsewhere) {
      const expected = elsewhere.environments[target];
      throw new ServiceConfigError(
        worker.wranglerFile,
        `${field}[${index}].service`,
        expected
          ? `"${binding.service}" is not a ${target} Worker; expected "${expected.workerName}" (the ${target} Worker of ${elsewhere.name})`
          : `"${binding.service}" is not a ${target} Worker, and ${elsewhere.name} declares no ${target} environment`,
      );
    }
    external.add(binding.service);
  });
  return { services: [...services].sort(), external: [...external].sort() };
}

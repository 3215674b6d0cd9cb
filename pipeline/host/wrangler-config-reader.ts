import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type DeployTarget,
  environmentSchema,
  LOCAL_TARGET,
  missingNameReason,
  pagesProjectReason,
  type ResolvedEnvironment,
  resolvedSection,
  ServiceConfigError,
  type WorkerEnvironments,
  type WranglerConfigReader,
} from "#core";

/** The two functions of wrangler's API the pipeline reads configs with. */
interface WranglerApi {
  experimental_readRawConfig(args: { config: string }): {
    rawConfig: { env?: object; pages_build_output_dir?: string };
  };
  unstable_readConfig(
    args: { config: string; env?: string },
    options: { hideWarnings: boolean },
  ): Record<string, unknown>;
}

/**
 * Reads each Worker's config with wrangler's own reader (`unstable_readConfig`, per environment),
 * from the wrangler the Worker's package resolves (the one its deploys run), else the
 * repository root's, else the pipeline's own: what the pipeline reads is what wrangler deploys.
 */
export function wranglerConfigReader(repoRoot: string): WranglerConfigReader {
  const loaded = new Map<string, Promise<WranglerApi>>();
  const locate = wranglerLocator(repoRoot);
  const api = (file: string): Promise<WranglerApi> => {
    const entry = locate(file);
    let found = loaded.get(entry);
    if (found === undefined) {
      found = loadWrangler(entry);
      loaded.set(entry, found);
    }
    return found;
  };
  return async (file) => readWithWrangler(await api(file), join(repoRoot, file), file);
}

/** The wrangler module that reads (and deploys) the config at `file`, repository-relative. */
export function wranglerLocator(repoRoot: string): (file: string) => string {
  return (file) => resolveWrangler(join(repoRoot, dirname(file)), repoRoot);
}

function resolveWrangler(packageDir: string, repoRoot: string): string {
  for (const from of [packageDir, repoRoot]) {
    try {
      return createRequire(join(from, "package.json")).resolve("wrangler");
    } catch {
      // Not installed there: try the next place.
    }
  }
  return createRequire(import.meta.url).resolve("wrangler");
}

/** A wrangler too old to export the reader (before 3.x's config API) falls back to ours. */
async function loadWrangler(entry: string): Promise<WranglerApi> {
  const module = (await import(pathToFileURL(entry).href)) as Partial<WranglerApi>;
  if (
    typeof module.unstable_readConfig === "function" &&
    typeof module.experimental_readRawConfig === "function"
  ) {
    return module as WranglerApi;
  }
  return (await import("wrangler")) as unknown as WranglerApi;
}

function readWithWrangler(wrangler: WranglerApi, path: string, file: string): WorkerEnvironments {
  let raw: ReturnType<WranglerApi["experimental_readRawConfig"]>["rawConfig"];
  try {
    raw = wrangler.experimental_readRawConfig({ config: path }).rawConfig;
  } catch (error) {
    throw new ServiceConfigError(file, "", wranglerProblem(error));
  }
  if (raw.pages_build_output_dir !== undefined) {
    return { declared: [], resolved: {}, leftOut: {}, undeployable: pagesProjectReason(file) };
  }
  const declared = [LOCAL_TARGET, ...Object.keys(raw.env ?? {})];
  const result: WorkerEnvironments = { declared, resolved: {}, leftOut: {} };
  for (const target of declared) {
    const outcome = readTarget(wrangler, path, file, target);
    if (typeof outcome === "string") {
      result.leftOut[target] = outcome;
    } else {
      result.resolved[target] = outcome;
    }
  }
  return result;
}

/** One environment as wrangler resolves it, or one line saying why it cannot be deployed. */
function readTarget(
  wrangler: WranglerApi,
  path: string,
  file: string,
  target: DeployTarget,
): ResolvedEnvironment | string {
  let config: Record<string, unknown>;
  try {
    config = wrangler.unstable_readConfig(
      { config: path, ...(target === LOCAL_TARGET ? {} : { env: target }) },
      { hideWarnings: true },
    );
  } catch (error) {
    return `${file}: ${wranglerProblem(error)}`;
  }
  if (typeof config.name !== "string") {
    return missingNameReason(file, target);
  }
  // wrangler has validated and normalised the bindings; the schema only reshapes them.
  const section = environmentSchema.safeParse(config);
  if (!section.success) {
    return `${file}: ${section.error.issues[0]?.message ?? "unreadable bindings"}`;
  }
  return resolvedSection(config.name, section.data);
}

/**
 * wrangler reports config problems as "Processing <file> configuration:" followed by nested
 * "- <problem>" lines (an environment, then what is wrong in it), and hints below them: the line
 * is the first innermost problem, after the ones that contain it.
 */
function wranglerProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const items = message
    .split("\n")
    .map((line) => /^(\s*)- (.*)$/.exec(line))
    .flatMap((match) => (match ? [{ depth: match[1]?.length ?? 0, text: match[2] ?? "" }] : []));
  const leaf = items.findIndex((item, index) => (items[index + 1]?.depth ?? -1) <= item.depth);
  if (leaf === -1) {
    return message.split("\n").find((line) => line.trim() !== "") ?? "wrangler could not read it";
  }
  const chain = [items[leaf]];
  for (let index = leaf - 1; index >= 0; index--) {
    const item = items[index];
    const inner = chain[0];
    if (item !== undefined && inner !== undefined && item.depth < inner.depth) chain.unshift(item);
  }
  return chain.map((item) => item?.text).join(": ");
}

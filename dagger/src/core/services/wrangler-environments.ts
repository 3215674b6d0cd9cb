import * as z from "zod";
import { fieldPath, ServiceConfigError } from "../config/config-error.js";
import { readConfigFile } from "../config/read-config.js";
import type { RepoReader } from "../repo-reader.js";
import type { ResourceBinding } from "./bindings.js";
import { RESOURCE_BINDING_KEYS } from "./bindings.js";
import { type DeployTarget, LOCAL_TARGET } from "./catalog.js";
import { environmentSchema, type WranglerEnvironment, workerNameSchema } from "./config-schemas.js";

/** What one target of a Worker deploys, after wrangler's environment inheritance. */
export interface ResolvedEnvironment {
  workerName: string;
  services: { binding: string; service: string }[];
  resources: ResourceBinding[];
}

/**
 * One Worker's config, read for every target it declares (`@local`, the top level, then its
 * `env.<name>` sections in the order written): what each deploys, or one line saying why that
 * target cannot be deployed. A problem in one environment leaves the others usable, as with
 * wrangler, which only reads the environment it is asked for.
 */
export interface WorkerEnvironments {
  declared: DeployTarget[];
  resolved: Record<DeployTarget, ResolvedEnvironment>;
  leftOut: Record<DeployTarget, string>;
  /** Why no target of it can be deployed (a Pages project, an unreadable file), in one line. */
  undeployable?: string;
}

/**
 * Reads a Worker's wrangler config (repository-relative path). The host reads it with wrangler's
 * own reader (see pipeline/host/wrangler-config-reader.ts); the Dagger module, which cannot run
 * wrangler, with `ownWranglerConfigReader`, held equal to wrangler by the parity test.
 */
export type WranglerConfigReader = (file: string) => Promise<WorkerEnvironments>;

/** The one line a target gets when its config has no Worker name for it. */
export function missingNameReason(file: string, target: DeployTarget): string {
  return target === LOCAL_TARGET
    ? `${file}: no top-level "name", which wrangler needs to deploy the top level`
    : `${file}: no "name" in env.${target} nor at the top level, which wrangler needs to deploy env.${target}`;
}

/**
 * A Pages project's config (`pages_build_output_dir`): `wrangler deploy` refuses it, `wrangler
 * pages deploy` deploys it, which the pipeline does not run.
 */
export function pagesProjectReason(file: string): string {
  return `${file}: a Pages project (pages_build_output_dir), which wrangler pages deploy deploys, not wrangler deploy`;
}

const topLevelSchema = z
  .object({ env: z.record(z.string(), z.unknown()).optional(), name: z.unknown().optional() })
  .loose();

/**
 * wrangler's rules (https://developers.cloudflare.com/workers/wrangler/environments/), for the
 * keys the pipeline reads: an environment's name defaults to `<name>-<env>`; bindings are not
 * inherited, so an environment without `services` or `kv_namespaces` has none, whatever the top
 * level declares. A syntax error or a bad top-level name makes every target unreadable (wrangler
 * fails on them whichever environment it reads); a bad key inside one environment, only that one.
 */
export function ownWranglerConfigReader(reader: RepoReader): WranglerConfigReader {
  return async (file) => {
    const top = topLevelSchema.safeParse(await readConfigFile(reader, file));
    if (!top.success) {
      const [issue] = top.error.issues;
      throw new ServiceConfigError(file, fieldPath(issue?.path ?? []), issue?.message ?? "invalid");
    }
    const { env = {}, name: rawName, ...topLevel } = top.data;
    const name = workerNameSchema.optional().safeParse(rawName);
    if (!name.success) {
      throw new ServiceConfigError(file, "name", name.error.issues[0]?.message ?? "invalid");
    }
    if (topLevel.pages_build_output_dir !== undefined) {
      return { declared: [], resolved: {}, leftOut: {}, undeployable: pagesProjectReason(file) };
    }
    const declared = [LOCAL_TARGET, ...Object.keys(env)];
    const result: WorkerEnvironments = { declared, resolved: {}, leftOut: {} };
    for (const target of declared) {
      const section = target === LOCAL_TARGET ? topLevel : env[target];
      const parsed = environmentSchema.safeParse(section ?? {});
      if (!parsed.success) {
        const [issue] = parsed.error.issues;
        const prefix = target === LOCAL_TARGET ? [] : ["env", target];
        result.leftOut[target] =
          `${file}: ${fieldPath([...prefix, ...(issue?.path ?? [])])}: ${issue?.message ?? "invalid"}`;
        continue;
      }
      const workerName =
        target === LOCAL_TARGET
          ? name.data
          : (parsed.data.name ?? (name.data === undefined ? undefined : `${name.data}-${target}`));
      if (workerName === undefined) {
        result.leftOut[target] = missingNameReason(file, target);
        continue;
      }
      result.resolved[target] = resolvedSection(workerName, parsed.data);
    }
    return result;
  };
}

/** The pipeline's view of one environment, from wrangler's keys (validated by environmentSchema). */
export function resolvedSection(
  workerName: string,
  section: WranglerEnvironment,
): ResolvedEnvironment {
  return {
    workerName,
    services: (section.services ?? []).map(({ binding, service }) => ({ binding, service })),
    resources: RESOURCE_BINDING_KEYS.flatMap((key) => section[key] ?? []),
  };
}

import { ServiceConfigError } from "../config/config-error.js";
import type { ResourceBinding } from "./bindings.js";
import { RESOURCE_BINDING_KEYS } from "./bindings.js";
import { type DeployTarget, LOCAL_TARGET } from "./catalog.js";
import type { WranglerConfig, WranglerEnvironment } from "./config-schemas.js";

/** What one target of a Worker deploys, after wrangler's environment inheritance. */
export interface ResolvedEnvironment {
  workerName: string;
  services: { binding: string; service: string }[];
  resources: ResourceBinding[];
}

/** `local` (the top level), then the declared `env.<name>` sections in the order written. */
export function declaredTargets(config: WranglerConfig, file: string): DeployTarget[] {
  const names = Object.keys(config.env ?? {});
  if (names.includes(LOCAL_TARGET)) {
    throw new ServiceConfigError(
      file,
      `env.${LOCAL_TARGET}`,
      `"${LOCAL_TARGET}" is the pipeline's name for the top level; rename this environment, or leave this package out of "workers" in workers-pipeline.config.json`,
    );
  }
  return [LOCAL_TARGET, ...names];
}

/**
 * wrangler's rules (https://developers.cloudflare.com/workers/wrangler/environments/): an
 * environment's name defaults to `<name>-<env>` (inheritable keys such as `main` and
 * `compatibility_date` also come from the top level, but the pipeline reads none of them);
 * bindings are not inherited, so an environment without `services` or `kv_namespaces` has none,
 * whatever the top level declares.
 */
export function resolveEnvironment(
  config: WranglerConfig,
  target: DeployTarget,
): ResolvedEnvironment {
  const section: WranglerEnvironment =
    target === LOCAL_TARGET ? config : (config.env?.[target] ?? {});
  return {
    workerName:
      target === LOCAL_TARGET ? config.name : (section.name ?? `${config.name}-${target}`),
    services: section.services ?? [],
    resources: RESOURCE_BINDING_KEYS.flatMap((key) => section[key] ?? []),
  };
}

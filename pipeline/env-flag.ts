import { type DeployTarget, deployTargets, LOCAL_TARGET, type ServiceCatalog } from "#core";
import { UsageError } from "./command.js";

/**
 * The selector's spelling before `@local`: still the local control plane, as long as no config
 * declares an `env.local` of its own (then it is that environment, as wrangler reads it).
 */
const FORMER_LOCAL_SELECTOR = "local";

/**
 * `--env`, checked against the environments the Workers' configs declare (only discovery knows
 * them, so the parser cannot): missing or unknown values fail naming the valid ones.
 */
export function requireEnvFlag(catalog: ServiceCatalog, value: string | undefined): DeployTarget {
  const valid = deployTargets(catalog);
  if (value === undefined) {
    throw new UsageError(`--env <env> is required; valid values: ${valid.join(", ")}`);
  }
  if (value === FORMER_LOCAL_SELECTOR && !valid.includes(value)) {
    return LOCAL_TARGET;
  }
  if (!valid.includes(value)) {
    throw new UsageError(`--env: unknown value "${value}"; valid values: ${valid.join(", ")}`);
  }
  return value;
}

/** What `graph` shows without `--env`: production where declared, else the top level. */
export function defaultGraphTarget(catalog: ServiceCatalog): DeployTarget {
  const valid = deployTargets(catalog);
  return valid.includes("production") ? "production" : (valid[0] ?? LOCAL_TARGET);
}

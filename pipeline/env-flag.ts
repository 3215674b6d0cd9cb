import { type DeployTarget, deployTargets, type ServiceCatalog } from "#core";
import { UsageError } from "./command.js";

/**
 * `--env`, checked against the environments the Workers' configs declare (only discovery knows
 * them, so the parser cannot): missing or unknown values fail naming the valid ones.
 */
export function requireEnvFlag(catalog: ServiceCatalog, value: string | undefined): DeployTarget {
  const valid = deployTargets(catalog);
  if (value === undefined) {
    throw new UsageError(`--env <env> is required; valid values: ${valid.join(", ")}`);
  }
  if (!valid.includes(value)) {
    throw new UsageError(`--env: unknown value "${value}"; valid values: ${valid.join(", ")}`);
  }
  return value;
}

/** What `graph` shows without `--env`: production where declared, else the top level. */
export function defaultGraphTarget(catalog: ServiceCatalog): DeployTarget {
  const valid = deployTargets(catalog);
  return valid.includes("production") ? "production" : (valid[0] ?? "local");
}

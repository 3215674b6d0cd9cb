import { detectAffected } from "../../dagger/src/core/affected.js";
import { changedSinceDeployed } from "../../dagger/src/core/deploy/deployed-base.js";
import type { ServiceHistory } from "../../dagger/src/core/dora/history.js";
import {
  type DeployTarget,
  type ServiceCatalog,
  serviceNames,
} from "../../dagger/src/core/services/catalog.js";
import { leftOutReason } from "../../dagger/src/core/services/deploy-targets.js";
import type { CommandContext } from "../command.js";
import { requireRef, UsageError } from "../command.js";
import { gitChangeProbe } from "../host/git-change-probe.js";

export interface ChosenServices {
  names: string[];
  /** How they were chosen, for the plan and report headline. */
  selection: string;
  /**
   * Workers `all` or `--base` chose that cannot deploy the target, one line each: they are left
   * out and the rest deploys. A Worker named with `--service` is never left out silently.
   */
  leftOut: string[];
}

/** `--base deployed`: compare each service with the commit its serving version came from. */
export const DEPLOYED_BASE = "deployed";

/**
 * `--service` (repeatable, comma lists allowed, `all`) and/or `--base <ref>` (services
 * affected since the ref) or `--base deployed` (each service since the commit it serves, read
 * through `histories`). Both together deploy the union.
 */
export async function chooseServices(
  catalog: ServiceCatalog,
  target: DeployTarget,
  repoRoot: string,
  services: readonly string[],
  base: string | undefined,
  context: CommandContext,
  histories: () => Promise<ServiceHistory[]>,
): Promise<ChosenServices> {
  const named = services.flatMap((value) => value.split(",")).map((name) => name.trim());
  if (named.length === 0 && base === undefined) {
    throw new UsageError(
      `--service <name|all> or --base <ref> is required; services: ${serviceNames(catalog).join(", ")}`,
    );
  }
  if (named.includes("all")) {
    return { ...leaveOut(catalog, target, serviceNames(catalog), []), selection: "all services" };
  }
  const found = new Set<string>();
  const reasons = named.length ? [`--service ${named.join(",")}`] : [];
  if (base === DEPLOYED_BASE) {
    const changed = await changedSinceDeployed(
      catalog,
      await histories(),
      gitChangeProbe(repoRoot),
    );
    for (const { service, reason } of changed) {
      context.stderr(`${service}: ${reason}`);
      found.add(service);
    }
    reasons.push("changed since the commit each service serves");
  } else if (base !== undefined) {
    const affected = await detectAffected(catalog, gitChangeProbe(repoRoot), requireRef(base));
    for (const warning of affected.warnings) {
      context.stderr(warning);
    }
    for (const service of affected.services) {
      found.add(service.name);
    }
    reasons.push(`affected since ${base}`);
  }
  return {
    ...leaveOut(
      catalog,
      target,
      [...found].filter((name) => !named.includes(name)),
      named,
    ),
    selection: reasons.join(" + "),
  };
}

/** `found` less the Workers that cannot deploy `target` (one line each), after the `named` ones. */
function leaveOut(
  catalog: ServiceCatalog,
  target: DeployTarget,
  found: readonly string[],
  named: readonly string[],
): { names: string[]; leftOut: string[] } {
  const names = [...named];
  const leftOut: string[] = [];
  for (const service of catalog.services.filter((candidate) => found.includes(candidate.name))) {
    const reason = leftOutReason(service, target);
    if (reason === undefined) {
      names.push(service.name);
    } else {
      leftOut.push(`${service.name}: left out of ${target}: ${reason}`);
    }
  }
  return { names, leftOut };
}

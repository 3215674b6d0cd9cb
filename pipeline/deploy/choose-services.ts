import {
  changedSinceDeployed,
  detectAffected,
  type ServiceCatalog,
  type ServiceHistory,
  serviceNames,
} from "#core";
import type { CommandContext } from "../command.js";
import { requireRef, UsageError } from "../command.js";
import { gitChangeProbe } from "../host/git-change-probe.js";

export interface ChosenServices {
  names: string[];
  /** How they were chosen, for the plan and report headline. */
  selection: string;
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
    return { names: serviceNames(catalog), selection: "all services" };
  }
  const chosen = new Set(named);
  const reasons = named.length ? [`--service ${named.join(",")}`] : [];
  if (base === DEPLOYED_BASE) {
    const changed = await changedSinceDeployed(
      catalog,
      await histories(),
      gitChangeProbe(repoRoot),
    );
    for (const { service, reason } of changed) {
      context.stderr(`${service}: ${reason}`);
      chosen.add(service);
    }
    reasons.push("changed since the commit each service serves");
  } else if (base !== undefined) {
    const affected = await detectAffected(catalog, gitChangeProbe(repoRoot), requireRef(base));
    for (const warning of affected.warnings) {
      context.stderr(warning);
    }
    for (const service of affected.services) {
      chosen.add(service.name);
    }
    reasons.push(`affected since ${base}`);
  }
  return { names: [...chosen], selection: reasons.join(" + ") };
}

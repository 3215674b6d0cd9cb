import { detectAffected } from "../../dagger/src/core/affected.js";
import { type ServiceCatalog, serviceNames } from "../../dagger/src/core/services/catalog.js";
import type { CommandContext } from "../command.js";
import { requireRef, UsageError } from "../command.js";
import { gitChangeProbe } from "../host/git-change-probe.js";

export interface ChosenServices {
  names: string[];
  /** How they were chosen, for the plan and report headline. */
  selection: string;
}

/**
 * `--service` (repeatable, comma lists allowed, `all`) and/or `--base <ref>` (services
 * affected since the ref). Both together deploy the union.
 */
export async function chooseServices(
  catalog: ServiceCatalog,
  repoRoot: string,
  services: readonly string[],
  base: string | undefined,
  context: CommandContext,
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
  if (base !== undefined) {
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

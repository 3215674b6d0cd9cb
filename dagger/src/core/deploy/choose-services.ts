import { type ChangeProbe, detectAffected } from "../affected.js";
import type { ServiceHistory } from "../dora/history.js";
import { requireGitRef } from "../git-ref.js";
import { type DeployTarget, type ServiceCatalog, serviceNames } from "../services/catalog.js";
import { leftOutReason } from "../services/deploy-targets.js";
import { changedSinceDeployed } from "./deployed-base.js";

/** `--base deployed`: compare each service with the commit its serving version came from. */
export const DEPLOYED_BASE = "deployed";

/** Neither `--service` nor `--base`: a deploy that would choose nothing by accident. */
export class NoServicesChosenError extends Error {
  constructor(catalog: ServiceCatalog) {
    super(
      `--service <name|all> or --base <ref|${DEPLOYED_BASE}> is required; services: ${serviceNames(catalog).join(", ")}`,
    );
    this.name = "NoServicesChosenError";
  }
}

export interface ServiceSelection {
  /** `--service` values: names, comma lists, or `all`. */
  services: readonly string[];
  /** `--base`: a git ref, or `deployed`. */
  base?: string | undefined;
}

/** Where a runner asks git and what is deployed; each is only asked when the selection needs it. */
export interface SelectionPorts {
  changeProbe(): ChangeProbe;
  /** What serves each service of the environment (the deployer's history), for `--base deployed`. */
  histories(): Promise<ServiceHistory[]>;
  /** Why each service was chosen, and affected detection's warnings, as they are found. */
  note(line: string): void;
}

export interface ChosenServices {
  names: string[];
  /** How they were chosen, for the plan and report headline. */
  selection: string;
}

function splitNames(services: readonly string[]): string[] {
  return services
    .flatMap((value) => value.split(","))
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/** A release's services: the named ones, or every service for `all` or none named. */
export function namedServices(
  catalog: ServiceCatalog,
  services: readonly string[],
): ChosenServices {
  const named = splitNames(services);
  return named.length === 0 || named.includes("all")
    ? { names: serviceNames(catalog), selection: "all services" }
    : { names: named, selection: `--service ${named.join(",")}` };
}

/**
 * `--service` and/or `--base <ref>` (services affected since the ref) or `--base deployed` (each
 * service since the commit it serves). Both together deploy the union; `all` is every service.
 */
export async function chooseServices(
  catalog: ServiceCatalog,
  { services, base }: ServiceSelection,
  ports: SelectionPorts,
): Promise<ChosenServices> {
  const named = splitNames(services);
  if (named.length === 0 && (base === undefined || base === "")) {
    throw new NoServicesChosenError(catalog);
  }
  if (named.includes("all")) return namedServices(catalog, named);
  const chosen = new Set(named);
  const reasons = named.length ? [`--service ${named.join(",")}`] : [];
  if (base === DEPLOYED_BASE) {
    const histories = await ports.histories();
    for (const { service, reason } of await changedSinceDeployed(
      catalog,
      histories,
      ports.changeProbe(),
    )) {
      ports.note(`${service}: ${reason}`);
      chosen.add(service);
    }
    reasons.push("changed since the commit each service serves");
  } else if (base !== undefined && base !== "") {
    const affected = await detectAffected(catalog, ports.changeProbe(), requireGitRef(base));
    for (const warning of affected.warnings) ports.note(warning);
    for (const service of affected.services) chosen.add(service.name);
    reasons.push(`affected since ${base}`);
  }
  return { names: [...chosen], selection: reasons.join(" + ") };
}

/**
 * The chosen services less those `all` or `--base` chose that cannot deploy `target`, each left
 * out with one line naming it and why, so the rest deploys. A Worker named with `--service` stays:
 * the plan then refuses it in one line, never leaving it out silently.
 */
export function leaveOutUndeployable(
  catalog: ServiceCatalog,
  target: DeployTarget,
  chosen: ChosenServices,
  { services }: ServiceSelection,
  note: (line: string) => void,
): ChosenServices {
  const named = new Set(splitNames(services).filter((name) => name !== "all"));
  const names = chosen.names.filter((name) => {
    const service = catalog.services.find((candidate) => candidate.name === name);
    const reason =
      named.has(name) || service === undefined ? undefined : leftOutReason(service, target);
    if (reason !== undefined) note(`${name}: left out of ${target}: ${reason}`);
    return reason === undefined;
  });
  return { ...chosen, names };
}

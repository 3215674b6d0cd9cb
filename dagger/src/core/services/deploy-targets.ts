import {
  type DeployTarget,
  LOCAL_TARGET,
  type ServiceCatalog,
  type ServiceInfo,
} from "./catalog.js";

/**
 * `@local` first, then every environment any Worker declares, in the order the configs write them
 * (so `staging, production` reads as the promotion order it usually is). An environment only
 * left-out Workers declare is still one: choosing it says why they are left out.
 */
export function deployTargets(catalog: ServiceCatalog): DeployTarget[] {
  return [
    ...new Set([
      LOCAL_TARGET,
      ...catalog.services.flatMap((service) => [
        ...service.targets,
        ...Object.keys(service.leftOut),
      ]),
    ]),
  ];
}

/** Why `service` cannot deploy `target`, in one line naming its config; undefined when it can. */
export function leftOutReason(service: ServiceInfo, target: DeployTarget): string | undefined {
  if (service.targets.includes(target)) {
    return undefined;
  }
  return (
    service.leftOut[target] ??
    service.undeployable ??
    `${service.wranglerFile}: declares no env.${target}, so wrangler cannot deploy it there`
  );
}

export class UnknownTargetError extends Error {
  constructor(value: string, valid: readonly string[]) {
    super(`unknown environment "${value}"; valid environments: ${valid.join(", ")}`);
    this.name = "UnknownTargetError";
  }
}

/** An environment some chosen Workers cannot deploy (undeclared, or no Worker name there). */
export class UndeclaredTargetError extends Error {
  constructor(target: string, lacking: readonly ServiceInfo[]) {
    super(
      `${lacking.map((service) => `${service.name} cannot deploy ${target} (${leftOutReason(service, target)})`).join("; ")}; fix its config or deploy other services`,
    );
    this.name = "UndeclaredTargetError";
  }
}

/** Checks that some Worker declares `value` (any of them, for read-only views like `graph`). */
export function requireDeployTarget(catalog: ServiceCatalog, value: string): DeployTarget {
  const valid = deployTargets(catalog);
  if (!valid.includes(value)) {
    throw new UnknownTargetError(value, valid);
  }
  return value;
}

/** For a deploy: every chosen Worker must declare `target`, or it would deploy elsewhere. */
export function requireTargetDeclared(
  services: readonly ServiceInfo[],
  target: DeployTarget,
): void {
  const lacking = services.filter((service) => !service.targets.includes(target));
  if (lacking.length > 0) {
    throw new UndeclaredTargetError(target, lacking);
  }
}

/** The Worker `service` deploys in `target`; a target it does not declare is refused by name. */
export function workerName(service: ServiceInfo, target: DeployTarget): string {
  const name = service.workerNames[target];
  if (name === undefined) {
    throw new UndeclaredTargetError(target, [service]);
  }
  return name;
}

/**
 * For the Dagger module, which deploys to Cloudflare only: a declared environment other than
 * `local`, whose Workers live in the host's local control plane that no engine can reach.
 */
export function requireCloudTarget(catalog: ServiceCatalog, value: string): DeployTarget {
  const cloud = deployTargets(catalog).filter((target) => target !== LOCAL_TARGET);
  if (!cloud.includes(value)) {
    throw new UnknownTargetError(value, cloud);
  }
  return value;
}

/** The Workers that declare `target`: the only ones with a deployment history there. */
export function servicesIn(catalog: ServiceCatalog, target: DeployTarget): ServiceInfo[] {
  return catalog.services.filter((service) => service.targets.includes(target));
}

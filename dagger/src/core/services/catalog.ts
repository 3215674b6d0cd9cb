export const DEPLOY_TARGETS = ["local", "staging", "production"] as const;

/** "local" is the top level of wrangler.jsonc; the others are its `env.<target>` sections. */
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export interface ServiceInfo {
  /** The directory name under services/, used everywhere as the service's identity. */
  name: string;
  /** Repository-relative directory, e.g. `services/db`. */
  dir: string;
  /** The package.json name, e.g. `@workers/db`, for `pnpm --filter`. */
  packageName: string;
  /** Services this one lists as `workspace:` dependencies. */
  workspaceDependencies: string[];
  /** The Worker name wrangler deploys for each target. */
  workerNames: Record<DeployTarget, string>;
  /** Services this one binds to (service bindings), per target. */
  bindings: Record<DeployTarget, string[]>;
  /** Bound Worker names that no service in this repository deploys (not ordered by waves). */
  externalBindings: Record<DeployTarget, string[]>;
  /** Repository-relative path of `smoke.json` when the service declares smoke tests. */
  smokeTestFile?: string;
}

export interface ServiceCatalog {
  /** Sorted by name. */
  services: ServiceInfo[];
}

export function serviceNames(catalog: ServiceCatalog): string[] {
  return catalog.services.map((service) => service.name);
}

export function findService(catalog: ServiceCatalog, name: string): ServiceInfo | undefined {
  return catalog.services.find((service) => service.name === name);
}

/** Resolves user-supplied service names, failing with the valid choices on the first unknown one. */
export function requireServices(catalog: ServiceCatalog, names: readonly string[]): ServiceInfo[] {
  return names.map((name) => {
    const service = findService(catalog, name);
    if (!service) {
      throw new UnknownServiceError(name, serviceNames(catalog));
    }
    return service;
  });
}

export class UnknownServiceError extends Error {
  constructor(
    readonly service: string,
    readonly validChoices: string[],
  ) {
    super(`unknown service "${service}"; valid services: ${validChoices.join(", ")}`);
    this.name = "UnknownServiceError";
  }
}

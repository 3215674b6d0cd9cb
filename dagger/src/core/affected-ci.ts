import type { AffectedResult } from "./affected.js";
import type { ServiceCatalog } from "./services/catalog.js";
import { buildCiSteps, type CiPart, INTEGRATION_DIR, type Step } from "./steps.js";

/**
 * The steps `ci --base` runs, on the host and in Dagger alike: install, typecheck and lint (of the
 * affected services and libraries only, when nothing outside them changed), the unit tests and
 * coverage gate of the affected services, the tooling suites only when something they cover
 * changed, and the integration flows through the affected services (all flows when the integration tests changed).
 * Nothing affected means no steps at all.
 */
export function affectedCiSteps(catalog: ServiceCatalog, affected: AffectedResult): Step[] {
  if (affected.scope === "none") {
    return [];
  }
  const services = affected.services.map((service) => service.name);
  const parts: CiPart[] = [
    "install",
    "typecheck",
    "lint",
    ...(services.length > 0 ? (["test"] as const) : []),
    ...(affected.tooling ? (["tooling"] as const) : []),
    ...(affected.integration ? (["integration"] as const) : []),
    // The gate judges whatever ran with coverage: the services' tests, the tooling suites.
    ...(services.length > 0 || affected.tooling ? (["coverage"] as const) : []),
  ];
  // Root and tooling changes select everything or the tooling tests, so without them no file
  // outside the affected services and the integration tests changed: checks can stay scoped.
  const scoped = affected.scope === "some" && affected.tooling === undefined;
  const libraries = affected.libraries.map((library) => library.name);
  // With no service or library affected, integration runs only because its own package changed.
  const integrationChanged =
    (services.length === 0 && libraries.length === 0) ||
    affected.changedFiles.some((file) => file.startsWith(`${INTEGRATION_DIR}/`));
  return buildCiSteps(catalog, {
    parts,
    services,
    libraries,
    ...(scoped ? { scope: { integrationChanged } } : {}),
  });
}

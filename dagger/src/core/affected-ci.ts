import type { AffectedResult } from "./affected.js";
import type { ServiceCatalog } from "./services/catalog.js";
import { buildCiSteps, type CiPart, integrationPackage, type Step } from "./steps.js";

/**
 * The steps `ci --base` runs, on the host and in Dagger alike: install, typecheck and lint (of the
 * affected packages only, when nothing outside them changed), the unit tests and coverage gate of
 * the affected services, the tooling suites only when something they cover changed, and the
 * integration flows through the affected services (all flows when the integration tests changed).
 * Nothing affected means no steps at all.
 */
export function affectedCiSteps(catalog: ServiceCatalog, affected: AffectedResult): Step[] {
  if (affected.scope === "none") {
    return [];
  }
  const services = affected.services.map((service) => service.name);
  const libraries = affected.libraries.map((library) => library.name);
  const tested = services.length > 0 || libraries.length > 0;
  const parts: CiPart[] = [
    "install",
    "typecheck",
    "lint",
    ...(tested ? (["test"] as const) : []),
    ...(affected.tooling ? (["tooling"] as const) : []),
    ...(affected.integration ? (["integration"] as const) : []),
    // The gate judges whatever ran with coverage: the packages' tests, the tooling suites.
    ...(tested || affected.tooling ? (["coverage"] as const) : []),
  ];
  // Root and tooling changes select everything or the tooling tests, so without them no file
  // outside the affected services and the integration tests changed: checks can stay scoped.
  const scoped = affected.scope === "some" && affected.tooling === undefined;
  // With no service or library affected, integration runs only because its own package changed.
  const integrationDir = integrationPackage(catalog)?.dir;
  const integrationChanged =
    !tested ||
    (integrationDir !== undefined &&
      affected.changedFiles.some((file) => file.startsWith(`${integrationDir}/`)));
  return buildCiSteps(catalog, {
    parts,
    services,
    libraries,
    ...(scoped ? { scope: { integrationChanged } } : {}),
  });
}

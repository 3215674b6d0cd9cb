import type { AffectedResult } from "./affected.js";
import type { ServiceCatalog } from "./services/catalog.js";
import { buildCiSteps, type CiPart, type Step } from "./steps.js";

/**
 * The steps `ci --base` runs, on the host and in Dagger alike: install, typecheck and lint (of the
 * affected packages only, when nothing outside them changed), the unit tests and coverage gate of
 * the affected services, and the tooling and integration suites
 * only when something they cover changed. Nothing affected means no steps at all.
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
    ...(services.length > 0 ? (["test", "coverage"] as const) : []),
    ...(affected.tooling ? (["tooling"] as const) : []),
    ...(affected.integration ? (["integration"] as const) : []),
  ];
  // Root and tooling changes select everything or the tooling tests, so without them no file
  // outside the affected services and the integration tests changed: checks can stay scoped.
  return buildCiSteps(catalog, {
    parts,
    services,
    scopeChecksToServices: affected.scope === "some" && affected.tooling === undefined,
  });
}

import type { AffectedResult } from "../core/affected.js";
import type { ServiceCatalog } from "../core/services/catalog.js";
import { buildCiSteps, type CiPart, type Step } from "../core/steps.js";

/**
 * The steps `ci --base` runs for an affected-detection result: typecheck and lint always, unit
 * tests and the coverage gate for the affected services, the tooling and integration suites only
 * when something they cover changed. Nothing affected means no steps at all.
 */
export function planAffectedCi(catalog: ServiceCatalog, affected: AffectedResult): Step[] {
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
  return buildCiSteps(catalog, { parts, services });
}

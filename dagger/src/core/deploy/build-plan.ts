import { deployWaves } from "../graph.js";
import type { RepoReader } from "../repo-reader.js";
import { type DeployTarget, requireServices, type ServiceCatalog } from "../services/catalog.js";
import { requireTargetDeclared } from "../services/deploy-targets.js";
import type { DeployPlan } from "./deploy-plan.js";
import { parseSmokeTests, type SmokeTest, SmokeTestFileError } from "./smoke-tests.js";

/**
 * Fixes everything a deploy will do before it changes anything: the chosen services (unknown
 * names fail with the valid ones, a service not declaring `target` fails naming it), their waves in `target`'s binding graph (a cycle fails
 * naming it), and their smoke tests (a malformed smoke.json fails with its path and field).
 */
export async function buildDeployPlan(
  reader: RepoReader,
  catalog: ServiceCatalog,
  target: DeployTarget,
  chosen: readonly string[],
  selection: string,
): Promise<DeployPlan> {
  const services = requireServices(catalog, chosen);
  requireTargetDeclared(services, target);
  const waves = deployWaves(catalog, target, chosen).map((wave) => requireServices(catalog, wave));
  const smokeTests: Record<string, SmokeTest[]> = {};
  for (const service of services) {
    if (service.smokeTestFile === undefined) {
      smokeTests[service.name] = [];
      continue;
    }
    const text = await reader.readText(service.smokeTestFile);
    if (text === undefined) {
      throw new SmokeTestFileError(service.smokeTestFile, "file not found");
    }
    smokeTests[service.name] = parseSmokeTests(service.smokeTestFile, text);
  }
  return { target, waves, smokeTests, selection };
}

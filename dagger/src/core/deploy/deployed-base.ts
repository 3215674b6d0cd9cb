import { type ChangeProbe, detectAffected, MissingBaseRefError } from "../affected.js";
import type { ServiceHistory } from "../dora/history.js";
import type { ServiceCatalog } from "../services/catalog.js";
import { parseOrigin, type VersionOrigin } from "./annotations.js";

export interface DeployedBaseChoice {
  /** A service to deploy, and why, in one line. */
  service: string;
  reason: string;
}

/**
 * The origin of the version a service serves now: the largest share of its newest deployment,
 * read from that version's `workers/message`. Undefined when it never deployed or the version
 * carries no origin (uploaded by hand, or from uncommitted files).
 */
export function servingOrigin(history: ServiceHistory | undefined): VersionOrigin | undefined {
  const newest = [...(history?.deployments ?? [])].sort((a, b) => b.createdOn - a.createdOn)[0];
  const serving = [...(newest?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0];
  const version = history?.versions.find((candidate) => candidate.id === serving?.versionId);
  return parseOrigin(version?.annotations["workers/message"]);
}

/**
 * `--base deployed`: each service is compared with the commit its own serving version was built
 * from, with the same affected rules as CI (its files, what it depends on or binds to, global
 * files), so a push of several commits deploys the union of their changes however many there
 * were. A service with no known origin, or whose commit this clone does not have (a shallow
 * clone, a force-push), is deployed, with the reason in one line.
 */
export async function changedSinceDeployed(
  catalog: ServiceCatalog,
  histories: readonly ServiceHistory[],
  probe: ChangeProbe,
): Promise<DeployedBaseChoice[]> {
  const chosen: DeployedBaseChoice[] = [];
  const byCommit = new Map<string, string[]>();
  for (const service of catalog.services) {
    const history = histories.find((candidate) => candidate.service === service.name);
    const origin = servingOrigin(history);
    if (!history || history.deployments.length === 0) {
      chosen.push({ service: service.name, reason: "never deployed here" });
    } else if (!origin) {
      chosen.push({
        service: service.name,
        reason:
          "its serving version records no commit (deployed by hand or from uncommitted files)",
      });
    } else {
      byCommit.set(origin.commit, [...(byCommit.get(origin.commit) ?? []), service.name]);
    }
  }
  for (const [commit, services] of byCommit) {
    const short = commit.slice(0, 12);
    try {
      const affected = await detectAffected(catalog, probe, commit);
      for (const name of services) {
        const found = affected.services.find((candidate) => candidate.name === name);
        if (found) chosen.push({ service: name, reason: `since ${short}: ${found.reason}` });
      }
    } catch (error) {
      if (!(error instanceof MissingBaseRefError)) throw error;
      for (const name of services) {
        chosen.push({
          service: name,
          reason: `its deployed commit ${short} is not in this clone's history (shallow clone or force-push)`,
        });
      }
    }
  }
  const order = catalog.services.map((service) => service.name);
  return chosen.sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service));
}

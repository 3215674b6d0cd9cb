import { parseOrigin } from "../deploy/annotations.js";
import type { DeployTarget, ServiceInfo } from "../services/catalog.js";
import type { CommitTimeLookup } from "./commit-times.js";
import type { ServiceHistory } from "./history.js";
import { computeDora, type DoraReport, MESSAGE } from "./metrics.js";
import { type HistoryReaderPorts, readDeployHistory } from "./read-history.js";
import type { Since } from "./since.js";

export interface DoraPorts {
  wrangler: HistoryReaderPorts;
  commitTimes: CommitTimeLookup;
  now(): number;
}

/** Every commit the history's annotations name (versions' and deployments' messages). */
export function originCommits(history: readonly ServiceHistory[]): string[] {
  const messages = history.flatMap((service) => [
    ...service.versions.map((version) => version.annotations[MESSAGE]),
    ...service.deployments.map((deployment) => deployment.annotations[MESSAGE]),
  ]);
  const commits = messages.flatMap((message) => parseOrigin(message)?.commit ?? []);
  return [...new Set(commits)].sort();
}

/** Reads the history of `services` on `target`, looks up its commits, computes the metrics. */
export async function runDora(
  ports: DoraPorts,
  services: readonly ServiceInfo[],
  target: DeployTarget,
  since: Since,
): Promise<DoraReport> {
  const history = await readDeployHistory(ports.wrangler, services, target);
  const commits = await ports.commitTimes(originCommits(history));
  return computeDora(history, commits, { target, since, now: ports.now() });
}

import {
  envArgs,
  isWorkerNotFound,
  type WranglerRun,
  wranglerArgs,
  wranglerFailure,
} from "../deploy/wrangler-cli.js";
import type { DeployTarget, ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import {
  parseDeployments,
  parseVersion,
  parseVersions,
  type ServiceHistory,
  type VersionRecord,
} from "./history.js";

export interface HistoryReaderPorts {
  /**
   * Runs `wrangler <args>` in the service's directory with the credentials in its environment
   * only: the deploy runners' own wrangler runner.
   */
  run(service: ServiceInfo, args: string[]): Promise<WranglerRun>;
  /** Strips secret values from wrangler's output before it reaches an error. */
  redact?: (text: string) => string;
}

/** Version ids reach wrangler's argv: anything but a UUID-like id is never passed. */
const VERSION_ID = /^[0-9a-f][0-9a-f-]*$/i;

/**
 * Every service's deployments on `target` and the versions they serve. A Worker that was never
 * deployed has an empty history. `versions list` shows only the most recent versions, so a
 * deployed version it leaves out is read with `versions view`.
 */
export async function readDeployHistory(
  ports: HistoryReaderPorts,
  services: readonly ServiceInfo[],
  target: DeployTarget,
): Promise<ServiceHistory[]> {
  const redact = ports.redact ?? ((text: string) => text);
  const describe = (service: ServiceInfo, args: string[]) =>
    `${service.name}: wrangler ${args.slice(0, args.indexOf("--json")).join(" ")}`;
  const failure = (what: string, result: WranglerRun) =>
    new Error(`${what} failed: ${redact(wranglerFailure(result))}`);
  const json = async (service: ServiceInfo, args: string[]) => {
    const result = await ports.run(service, args);
    if (result.exitCode !== 0) throw failure(describe(service, args), result);
    return result.stdout;
  };

  return Promise.all(
    services.map(async (service): Promise<ServiceHistory> => {
      const history = { service: service.name, worker: workerName(service, target) };
      const listArgs = wranglerArgs.deploymentsList(target);
      const listed = await ports.run(service, listArgs);
      if (listed.exitCode !== 0) {
        if (isWorkerNotFound(listed)) return { ...history, deployments: [], versions: [] };
        throw failure(describe(service, listArgs), listed);
      }
      const deployments = parseDeployments(listed.stdout, describe(service, listArgs));
      if (deployments.length === 0) return { ...history, deployments, versions: [] };

      const versionsArgs = ["versions", "list", "--json", ...envArgs(target)];
      const versions: VersionRecord[] = parseVersions(
        await json(service, versionsArgs),
        describe(service, versionsArgs),
      );
      const known = new Set(versions.map((version) => version.id));
      const deployed = deployments.flatMap((d) => d.versions.map((version) => version.versionId));
      for (const id of new Set(deployed)) {
        if (known.has(id) || !VERSION_ID.test(id)) continue;
        const viewArgs = ["versions", "view", id, "--json", ...envArgs(target)];
        versions.push(parseVersion(await json(service, viewArgs), describe(service, viewArgs)));
      }
      return { ...history, deployments, versions };
    }),
  );
}

import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { DeployContext } from "./deploy-context.js";
import { pollHealth } from "./health.js";
import type { RollbackReport } from "./report.js";
import { joinUrl } from "./smoke-tests.js";

/**
 * Returns one service to `toVersion` and proves it with a health check that must report that
 * version. A null `toVersion` (first deploy) has nothing to go back to and says so. An
 * interruption does not cut it short: returning to the old version is what it asks for.
 */
export async function rollbackService(
  context: DeployContext,
  service: ServiceInfo,
  toVersion: string | null,
  fromVersion: string | undefined,
  reason: string,
  baseUrl: string | undefined,
): Promise<RollbackReport> {
  const { clock, deployer, target } = context;
  const worker = workerName(service, target);
  const started = clock.now();
  if (toVersion === null) {
    return {
      outcome: "nothing-to-roll-back",
      toVersion: null,
      durationMs: 0,
      note: `first deploy of ${worker}: there is no earlier version to return to, so ${fromVersion ?? "the new version"} stays active`,
    };
  }
  const manualCommand = deployer.manualRollbackCommand(service, target, toVersion);
  context.unfinished?.opened(worker, manualCommand);
  context.progress(`  ↩ ${service.name}: rolling back to ${toVersion}`);
  try {
    await deployer.rollback(service, target, toVersion, `pipeline rollback: ${reason}`);
  } catch (error) {
    return {
      outcome: "failed",
      toVersion,
      durationMs: clock.now() - started,
      note: `rollback of ${worker} to ${toVersion} FAILED`,
      failure: (error as Error).message,
      manualCommand,
    };
  }
  if (baseUrl === undefined) {
    context.unfinished?.closed(worker);
    return {
      outcome: "rolled-back",
      toVersion,
      durationMs: clock.now() - started,
      note: `${worker} rolled back to ${toVersion}; not health-checked: no URL is known for it`,
    };
  }
  const health = await pollHealth(
    context.http,
    clock,
    joinUrl(baseUrl, service.healthPath),
    toVersion,
    context.health,
    undefined,
    service.healthContract,
  );
  if (!health.ok) {
    return {
      outcome: "failed",
      toVersion,
      durationMs: clock.now() - started,
      note: `${worker} was rolled back to ${toVersion} but is not healthy on it`,
      health,
      failure: health.failure ?? "unhealthy",
      manualCommand,
    };
  }
  context.unfinished?.closed(worker);
  context.progress(`  ✓ ${service.name}: back on ${toVersion}, healthy`);
  return {
    outcome: "rolled-back",
    toVersion,
    durationMs: clock.now() - started,
    note: `${worker} rolled back to ${toVersion} and healthy`,
    health,
  };
}

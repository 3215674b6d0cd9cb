import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { DeployContext } from "./deploy-context.js";
import { InterruptWatch } from "./interruption.js";
import type { RollbackCommandReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";

export class NothingToRollBackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NothingToRollBackError";
  }
}

/**
 * `rollback --service x [--to id]`: without `--to`, returns to the version the deployment
 * before the current one served (what `wrangler rollback` would pick), then checks health. An
 * interruption is reported but stops nothing: a rollback is what an interruption would do.
 */
export async function runRollback(
  context: DeployContext,
  service: ServiceInfo,
  toVersion: string | undefined,
): Promise<RollbackCommandReport> {
  const { clock, target } = context;
  const started = clock.now();
  const worker = workerName(service, target);
  const watch = new InterruptWatch(context.interrupt, clock, `the rollback of ${service.name}`);
  const history = await context.deployer.deploymentHistory(service, target);
  const current = history.at(-1) ?? null;
  if (current === null) {
    throw new NothingToRollBackError(`${worker} has never been deployed: nothing to roll back`);
  }
  const destination = toVersion ?? history.findLast((version) => version !== current);
  if (destination === undefined) {
    throw new NothingToRollBackError(
      `${worker} has only ever served ${current}: there is no earlier version to roll back to`,
    );
  }
  if (destination === current) {
    throw new NothingToRollBackError(`${worker} already serves ${current}: nothing to do`);
  }
  const rollback = await rollbackService(
    context,
    service,
    destination,
    current,
    "requested by `pipeline rollback`",
    await context.endpoints.baseUrl(service, target, undefined),
  );
  const interrupted = watch.interrupted;
  return {
    ...(interrupted === undefined ? {} : { interrupted }),
    kind: "rollback",
    target,
    ok: rollback.outcome === "rolled-back",
    service: service.name,
    worker,
    fromVersion: current,
    rollback,
    startedAt: new Date(started).toISOString(),
    durationMs: clock.now() - started,
  };
}

import { DEFAULT_HEALTH_PATH } from "../config/health-contracts.js";
import type { DeployContext } from "./deploy-context.js";
import type { DeployPlan } from "./deploy-plan.js";
import { pollHealth } from "./health.js";
import { type Interruption, InterruptWatch } from "./interruption.js";
import type { DeployReport, ReleaseReport, ServiceValidation } from "./report.js";
import { endJournal, rollBackRun, runDeploy } from "./run-deploy.js";
import { joinUrl, runSmokeTest } from "./smoke-tests.js";

export interface ReleaseStage {
  context: DeployContext;
  plan: DeployPlan;
}

/**
 * Deploys each stage in turn (staging, then production) and, once a stage's waves are all
 * out, validates the whole stage again: a later wave can break an earlier service. Stops at the
 * first failure; a stage that fails has already rolled itself back. An interruption rolls back
 * every stage this release changed, the latest first, not only the one under way.
 */
export async function runRelease(
  stages: ReleaseStage[],
  clock: DeployContext["clock"],
): Promise<ReleaseReport> {
  const started = clock.now();
  const reports: ReleaseReport["stages"] = [];
  const finish = (stoppedAt?: string, interrupted?: Interruption): ReleaseReport => ({
    ...(interrupted === undefined ? {} : { interrupted }),
    kind: "release",
    ok: stoppedAt === undefined,
    startedAt: new Date(started).toISOString(),
    durationMs: clock.now() - started,
    stages: reports,
    ...(stoppedAt === undefined ? {} : { stoppedAt }),
  });
  const rollBackEarlierStages = async (reason: string) => {
    for (const [index, stage] of [...reports.entries()].reverse().slice(1)) {
      const { context, plan } = stages[index] as ReleaseStage;
      await rollBackRun(context, plan, stage.deploy.services, reason);
      await endJournal(context, stage.deploy.services, false);
      stage.deploy.ok = false;
    }
  };
  for (const { context, plan } of stages) {
    const deploy = await runDeploy(context, plan);
    if (!deploy.ok) {
      reports.push({ deploy, validation: [] });
      const interrupted = deploy.interrupted;
      if (interrupted) {
        const reason = `interrupted by ${interrupted.by}`;
        await rollBackEarlierStages(reason);
        return finish(`${plan.target} deploy ${reason}`, {
          ...interrupted,
          during: `the ${plan.target} deploy, ${interrupted.during}`,
        });
      }
      return finish(`${plan.target} deploy failed`);
    }
    const watch = new InterruptWatch(context.interrupt, clock, `the validation of ${plan.target}`);
    context.progress(`validating ${plan.target}: health and smoke tests of every service`);
    const validation = await validateStage(context, plan, deploy);
    reports.push({ deploy, validation });
    const invalid = validation.filter((result) => !result.ok).map((result) => result.service);
    const interrupted = watch.interrupted;
    if (interrupted || invalid.length > 0) {
      const reason = interrupted
        ? `interrupted by ${interrupted.by}`
        : `${plan.target} validation failed for ${invalid.join(", ")}`;
      // Each service passed on its own; together they do not, so none of the new versions stay.
      await rollBackRun(context, plan, deploy.services, reason);
      await endJournal(context, deploy.services, false);
      deploy.ok = false;
      if (interrupted) {
        await rollBackEarlierStages(reason);
        return finish(`${plan.target} ${reason}`, interrupted);
      }
      return finish(reason);
    }
  }
  return finish();
}

async function validateStage(
  context: DeployContext,
  plan: DeployPlan,
  deploy: DeployReport,
): Promise<ServiceValidation[]> {
  return Promise.all(
    deploy.services.map(async (report): Promise<ServiceValidation> => {
      if (report.url === undefined) {
        return { service: report.service, ok: false, smoke: [], failure: "no URL to validate" };
      }
      // Every reported service comes from the plan's waves.
      const service = plan.waves.flat().find((info) => info.name === report.service);
      const health = await pollHealth(
        context.http,
        context.clock,
        joinUrl(report.url, service?.healthPath ?? DEFAULT_HEALTH_PATH),
        report.newVersion,
        context.health,
        context.interrupt,
        service?.healthContract,
      );
      const smoke = [];
      for (const test of plan.smokeTests[report.service] ?? []) {
        if (context.interrupt?.aborted) break;
        smoke.push(await runSmokeTest(context.http, report.url, test, context.clock.now));
      }
      const failedSmoke = smoke.find((result) => !result.ok);
      const failure = !health.ok
        ? `health: ${health.failure ?? "unhealthy"}`
        : failedSmoke && `smoke "${failedSmoke.name}": ${failedSmoke.failure ?? "failed"}`;
      return {
        service: report.service,
        ok: failure === undefined,
        health,
        smoke,
        ...(failure === undefined ? {} : { failure }),
      };
    }),
  );
}

import type { DeployContext } from "./deploy-context.js";
import type { DeployPlan } from "./deploy-plan.js";
import { pollHealth } from "./health.js";
import type { DeployReport, ReleaseReport, ServiceValidation } from "./report.js";
import { rollBackRun, runDeploy } from "./run-deploy.js";
import { runSmokeTest } from "./smoke-tests.js";

export interface ReleaseStage {
  context: DeployContext;
  plan: DeployPlan;
}

/**
 * Deploys each stage in turn (staging, then production) and, once a stage's waves are all
 * out, validates the whole stage again: a later wave can break an earlier service. Stops at the
 * first failure; a stage that fails has already rolled itself back.
 */
export async function runRelease(
  stages: ReleaseStage[],
  clock: DeployContext["clock"],
): Promise<ReleaseReport> {
  const started = clock.now();
  const reports: ReleaseReport["stages"] = [];
  const finish = (stoppedAt?: string): ReleaseReport => ({
    kind: "release",
    ok: stoppedAt === undefined,
    startedAt: new Date(started).toISOString(),
    durationMs: clock.now() - started,
    stages: reports,
    ...(stoppedAt === undefined ? {} : { stoppedAt }),
  });
  for (const { context, plan } of stages) {
    const deploy = await runDeploy(context, plan);
    if (!deploy.ok) {
      reports.push({ deploy, validation: [] });
      return finish(`${plan.target} deploy failed`);
    }
    context.progress(`validating ${plan.target}: health and smoke tests of every service`);
    const validation = await validateStage(context, plan, deploy);
    reports.push({ deploy, validation });
    const invalid = validation.filter((result) => !result.ok).map((result) => result.service);
    if (invalid.length > 0) {
      const reason = `${plan.target} validation failed for ${invalid.join(", ")}`;
      // Each service passed on its own; together they do not, so none of the new versions stay.
      await rollBackRun(context, plan, deploy.services, reason);
      deploy.ok = false;
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
      const health = await pollHealth(
        context.http,
        context.clock,
        report.url,
        report.newVersion,
        context.health,
      );
      const smoke = [];
      for (const test of plan.smokeTests[report.service] ?? []) {
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

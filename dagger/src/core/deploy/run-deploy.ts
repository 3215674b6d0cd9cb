import type { ServiceInfo } from "../services/catalog.js";
import type { DeployContext } from "./deploy-context.js";
import type { DeployPlan } from "./deploy-plan.js";
import { formatSeconds, pollHealth } from "./health.js";
import type { DeployedVersion } from "./ports.js";
import type { DeployReport, ServiceReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";
import { runSmokeTest, type SmokeTest } from "./smoke-tests.js";

interface ServiceRun {
  report: ServiceReport;
  service: ServiceInfo;
}

/**
 * Deploys the plan wave by wave (a wave's services in parallel). The first failure stops every
 * later wave, then every service this run changed is rolled back, last wave first, each proven
 * by a health check on its previous version.
 */
export async function runDeploy(context: DeployContext, plan: DeployPlan): Promise<DeployReport> {
  const { clock, progress, target } = context;
  const started = clock.now();
  const startedAt = new Date(started).toISOString();
  const runs: ServiceRun[][] = plan.waves.map((wave, index) =>
    wave.map((service) => ({ service, report: pendingReport(context, service, index + 1) })),
  );
  let failedAt: number | undefined;
  for (const [index, wave] of runs.entries()) {
    if (failedAt !== undefined) {
      for (const run of wave) {
        run.report.failure = "not deployed: an earlier wave failed";
      }
      continue;
    }
    progress(`wave ${index + 1}/${runs.length}: ${wave.map((run) => run.service.name).join(", ")}`);
    await Promise.all(wave.map((run) => deployService(context, run, plan.smokeTests)));
    if (wave.some((run) => run.report.outcome === "failed")) {
      failedAt = clock.now();
    }
  }
  let recoveryMs: number | undefined;
  if (failedAt !== undefined) {
    const failed = runs.flat().find((run) => run.report.outcome === "failed");
    await rollBackRun(
      context,
      plan,
      runs.flat().map((run) => run.report),
      `${failed?.service.name ?? "a service"} failed (${failed?.report.failure ?? "unknown"})`,
    );
    recoveryMs = clock.now() - failedAt;
  }
  const services = runs.flat().map((run) => run.report);
  return {
    kind: "deploy",
    target,
    ok: failedAt === undefined,
    dryRun: false,
    startedAt,
    durationMs: clock.now() - started,
    waves: plan.waves.map((wave) => wave.map((service) => service.name)),
    services,
    ...(recoveryMs === undefined ? {} : { recoveryMs }),
  };
}

/**
 * Rolls back every service of `reports` that has a new version, last wave first (a wave's
 * services in parallel), recording each outcome on its report.
 */
export async function rollBackRun(
  context: DeployContext,
  plan: DeployPlan,
  reports: ServiceReport[],
  reason: string,
): Promise<void> {
  context.progress(`rolling back everything this run deployed: ${reason}`);
  const services = new Map(plan.waves.flat().map((service) => [service.name, service]));
  const waves = [...new Set(reports.map((report) => report.wave))].sort((a, b) => b - a);
  for (const wave of waves) {
    await Promise.all(
      reports
        .filter((report) => report.wave === wave && report.newVersion !== undefined)
        .map(async (report) => {
          const service = services.get(report.service);
          if (service === undefined) return;
          report.rollback = await rollbackService(
            context,
            service,
            report.previousVersion,
            report.newVersion,
            reason,
            report.url ?? (await context.endpoints.baseUrl(service, context.target, undefined)),
          );
        }),
    );
  }
}

function pendingReport(context: DeployContext, service: ServiceInfo, wave: number): ServiceReport {
  return {
    service: service.name,
    worker: service.workerNames[context.target],
    wave,
    outcome: "skipped",
    previousVersion: null,
    smoke: [],
    timings: {},
    durationMs: 0,
  };
}

/** Record the serving version, deploy, wait for health on the new version, run smoke tests. */
async function deployService(
  context: DeployContext,
  run: ServiceRun,
  smokeTests: Record<string, SmokeTest[]>,
): Promise<void> {
  const { clock, deployer, progress, target } = context;
  const { service, report } = run;
  const started = clock.now();
  const fail = (failure: string) => {
    report.outcome = "failed";
    report.failure = failure;
    report.durationMs = clock.now() - started;
    progress(`  ✗ ${service.name}: ${failure}`);
  };

  let stepStarted = clock.now();
  try {
    const history = await deployer.deploymentHistory(service, target);
    report.previousVersion = history.at(-1) ?? null;
  } catch (error) {
    report.timings.recordMs = clock.now() - stepStarted;
    return fail(`record current version: ${(error as Error).message}`);
  }
  report.timings.recordMs = clock.now() - stepStarted;

  stepStarted = clock.now();
  let deployed: DeployedVersion;
  try {
    deployed = await deployer.deploy(service, target);
  } catch (error) {
    report.timings.deployMs = clock.now() - stepStarted;
    await noticePartialDeploy(context, run);
    return fail(`deploy: ${(error as Error).message}`);
  }
  report.timings.deployMs = clock.now() - stepStarted;
  report.newVersion = deployed.versionId;

  const baseUrl = await context.endpoints.baseUrl(service, target, deployed);
  if (baseUrl === undefined) {
    return fail(
      "health: no URL to check (enable workers_dev or give the Worker a route wrangler reports)",
    );
  }
  report.url = baseUrl;

  stepStarted = clock.now();
  report.health = await pollHealth(
    context.http,
    clock,
    baseUrl,
    deployed.versionId,
    context.health,
  );
  report.timings.healthMs = clock.now() - stepStarted;
  if (!report.health.ok) {
    return fail(`health: ${report.health.failure ?? "unhealthy"}`);
  }

  stepStarted = clock.now();
  for (const test of smokeTests[service.name] ?? []) {
    const result = await runSmokeTest(context.http, baseUrl, test, clock.now);
    report.smoke.push(result);
    if (!result.ok) {
      report.timings.smokeMs = clock.now() - stepStarted;
      return fail(`smoke "${result.name}": ${result.failure ?? "failed"}`);
    }
  }
  report.timings.smokeMs = clock.now() - stepStarted;
  report.outcome = "deployed";
  report.durationMs = clock.now() - started;
  progress(
    `  ✓ ${service.name}: ${report.previousVersion ?? "(first deploy)"} → ${report.newVersion} in ${formatSeconds(report.durationMs)}`,
  );
}

/**
 * wrangler can fail after the new version went live (e.g. while updating triggers). Asking
 * which version serves now keeps such a half-done deploy from escaping the rollback.
 */
async function noticePartialDeploy(context: DeployContext, run: ServiceRun): Promise<void> {
  try {
    const serving = (await context.deployer.deploymentHistory(run.service, context.target)).at(-1);
    if (serving !== undefined && serving !== run.report.previousVersion) {
      run.report.newVersion = serving;
    }
  } catch {
    // The deploy error is what gets reported; failing to re-read history adds nothing to act on.
  }
}

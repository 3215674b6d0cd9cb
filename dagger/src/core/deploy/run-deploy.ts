import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { DeployContext } from "./deploy-context.js";
import type { DeployPlan } from "./deploy-plan.js";
import { rollOutGradually } from "./gradual-rollout.js";
import { formatSeconds } from "./health.js";
import { withIncident } from "./incident.js";
import { InterruptWatch } from "./interruption.js";
import {
  type DeployedVersion,
  MigrationFailedError,
  NotStartedError,
  StoppedCommandError,
} from "./ports.js";
import type { DeployReport, ServiceReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";
import type { SmokeTest } from "./smoke-tests.js";
import { type ServiceEnds, verifyVersion } from "./verify-version.js";

interface ServiceRun {
  report: ServiceReport;
  service: ServiceInfo;
  /** When a failure was known, if before the service's own deploy ended (see ServiceEnds). */
  detectedAt?: number;
  /** The pre-run version the journal recorded, when it read one. */
  journaled?: string | null;
}

/**
 * Deploys the plan wave by wave (a wave's services in parallel). The first failure stops every
 * later wave, then every service this run changed is rolled back, last wave first, each proven
 * by a health check on its previous version. An interruption (`context.interrupt`) does the
 * same from wherever the run is: no deploy starts after it, the ones in flight end, and all
 * this run changed is rolled back.
 */
export async function runDeploy(context: DeployContext, plan: DeployPlan): Promise<DeployReport> {
  const { clock, progress, target } = context;
  const started = clock.now();
  const startedAt = new Date(started).toISOString();
  const watch = new InterruptWatch(context.interrupt, clock, "the start, before wave 1");
  const journaled = await context.journal?.begin(plan, context.deployer);
  const runs: ServiceRun[][] = plan.waves.map((wave, index) =>
    wave.map((service) => ({
      service,
      report: pendingReport(context, service, index + 1),
      ...(journaled?.has(service.name) ? { journaled: journaled.get(service.name) ?? null } : {}),
    })),
  );
  let failedAt: number | undefined;
  for (const [index, wave] of runs.entries()) {
    const interruption = watch.interrupted;
    if (failedAt !== undefined || interruption) {
      for (const run of wave) {
        run.report.failure = interruption
          ? `not deployed: interrupted by ${interruption.by}`
          : "not deployed: an earlier wave failed";
      }
      continue;
    }
    const names = wave.map((run) => run.service.name).join(", ");
    watch.enter(`wave ${index + 1}/${runs.length} (${names})`);
    progress(`wave ${index + 1}/${runs.length}: ${names}`);
    await Promise.all(wave.map((run) => deployService(context, watch, run, plan.smokeTests)));
    if (wave.some((run) => run.report.outcome === "failed")) {
      failedAt = Math.min(clock.now(), ...wave.flatMap((run) => run.detectedAt ?? []));
    }
  }
  let recoveryMs: number | undefined;
  const stoppedAt = failedAt ?? watch.at;
  if (stoppedAt !== undefined) {
    const failed = runs.flat().find((run) => run.report.outcome === "failed");
    const interruption = watch.interrupted;
    watch.enter("the rollback");
    await rollBackRun(
      context,
      plan,
      runs.flat().map((run) => run.report),
      interruption && failedAt === undefined
        ? `interrupted by ${interruption.by}`
        : `${failed?.service.name ?? "a service"} failed (${failed?.report.failure ?? "unknown"})`,
    );
    recoveryMs = clock.now() - stoppedAt;
  }
  // Read again: a signal during the rollback is reported too (the rollback itself went on).
  const interrupted = watch.interrupted;
  await endJournal(
    context,
    runs.flat().map((run) => run.report),
    stoppedAt === undefined,
  );
  return withIncident({
    ...(interrupted === undefined ? {} : { interrupted }),
    kind: "deploy",
    target,
    ok: stoppedAt === undefined && interrupted === undefined,
    dryRun: false,
    startedAt,
    durationMs: clock.now() - started,
    waves: plan.waves.map((wave) => wave.map((service) => service.name)),
    ...(context.gradual ? { gradual: context.gradual.policy } : {}),
    services: runs.flat().map((run) => run.report),
    ...(recoveryMs === undefined ? {} : { recoveryMs }),
  });
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
        // A gradual rollout whose analysis failed already took its own service back.
        .filter(
          (report) =>
            report.wave === wave &&
            report.newVersion !== undefined &&
            report.rollback === undefined,
        )
        .map(async (report) => {
          const service = services.get(report.service);
          if (service === undefined) return;
          await context.journal?.step(service, "rollback-started");
          report.rollback = await rollbackService(
            context,
            service,
            report.previousVersion,
            report.newVersion,
            reason,
            report.url ?? (await context.endpoints.baseUrl(service, context.target, undefined)),
          );
          await context.journal?.step(
            service,
            report.rollback.outcome === "failed" ? "rollback-failed" : "rolled-back",
            report.rollback.toVersion ?? undefined,
          );
        }),
    );
  }
}

/**
 * Ends the journal when nothing is left for `recover` to do: every service verified, or every
 * one the run changed back where it was. Anything else (a failed rollback, a deploy stopped
 * mid-flight that may still land) leaves it open, so `recover` finishes the job. A release ends
 * a stage's journal again after rolling back the stage it had finished.
 */
export async function endJournal(
  context: DeployContext,
  reports: ServiceReport[],
  deployed: boolean,
): Promise<void> {
  if (context.journal === undefined) return;
  if (deployed) return context.journal.end("deployed");
  const settled = reports.every(
    (report) => report.stoppedDeploy === undefined && report.rollback?.outcome !== "failed",
  );
  if (settled) await context.journal.end("rolled-back");
}

function pendingReport(context: DeployContext, service: ServiceInfo, wave: number): ServiceReport {
  return {
    service: service.name,
    worker: workerName(service, context.target),
    wave,
    outcome: "skipped",
    previousVersion: null,
    smoke: [],
    timings: {},
    durationMs: 0,
  };
}

/**
 * Record the serving version, apply D1 migrations, deploy, wait for health on the new version,
 * run smoke tests. Between steps an interruption stops the service where it is.
 */
async function deployService(
  context: DeployContext,
  watch: InterruptWatch,
  run: ServiceRun,
  smokeTests: Record<string, SmokeTest[]>,
): Promise<void> {
  const { clock, deployer, progress, target } = context;
  const { service, report } = run;
  const started = clock.now();
  const end = (outcome: "failed" | "interrupted", failure: string) => {
    report.outcome = outcome;
    report.failure = failure;
    report.durationMs = clock.now() - started;
    progress(`  ✗ ${service.name}: ${failure}`);
  };
  const fail = (failure: string) => {
    end("failed", failure);
    void context.journal?.step(service, "failed");
  };
  /** True (and the service ends as interrupted, `when`) once the run has been interrupted. */
  const interrupted = (when: string) => {
    const interruption = watch.interrupted;
    if (interruption) end("interrupted", `interrupted by ${interruption.by} ${when}`);
    return interruption !== undefined;
  };
  const ends: ServiceEnds = {
    fail,
    interrupted,
    detected: () => {
      run.detectedAt ??= clock.now();
    },
  };

  let stepStarted = clock.now();
  try {
    report.previousVersion =
      run.journaled !== undefined
        ? run.journaled
        : ((await deployer.deploymentHistory(service, target)).at(-1) ?? null);
  } catch (error) {
    report.timings.recordMs = clock.now() - stepStarted;
    return fail(`record current version: ${(error as Error).message}`);
  }
  report.timings.recordMs = clock.now() - stepStarted;
  const early = watch.interrupted;
  if (early) {
    report.failure = `not deployed: interrupted by ${early.by}`;
    return;
  }

  stepStarted = clock.now();
  try {
    report.migrations = await deployer.applyMigrations(service, target, context.interrupt);
  } catch (error) {
    report.timings.deployMs = clock.now() - stepStarted;
    if (error instanceof MigrationFailedError) report.migrations = error.migrations;
    return fail(`migrations: ${(error as Error).message}; its code was not deployed`);
  }
  for (const { database, applied } of report.migrations) {
    if (applied.length > 0) {
      progress(`  → ${service.name}: applied ${applied.join(", ")} to ${database}`);
    }
  }
  if (interrupted("before its code was deployed")) return;

  const worker = workerName(service, target);
  context.unfinished?.opened(
    worker,
    report.previousVersion === null
      ? `${worker}: first deploy, there is no earlier version to return to`
      : deployer.manualRollbackCommand(service, target, report.previousVersion),
  );
  const tests = smokeTests[service.name] ?? [];
  await context.journal?.step(service, "deploy-started");
  const gradual = context.gradual;
  if (gradual && report.previousVersion !== null) {
    if (await rollOutGradually(context, gradual, service, report, tests, ends, stepStarted)) {
      succeeded(context, run, started);
    }
    return;
  }
  if (gradual) {
    progress(`  → ${service.name}: first deploy, no version to compare with: deploying at once`);
  }
  report.strategy = "immediate";
  progress(`  → ${service.name}: deploying (serving ${report.previousVersion ?? "nothing yet"})`);
  let deployed: DeployedVersion;
  try {
    deployed = await deployer.deploy(service, target, context.interrupt);
  } catch (error) {
    report.timings.deployMs = clock.now() - stepStarted;
    if (error instanceof NotStartedError) {
      context.unfinished?.closed(worker);
      interrupted("before its code was deployed");
      return;
    }
    await noticePartialDeploy(context, run);
    if (report.newVersion === undefined && error instanceof StoppedCommandError) {
      // Not live when we asked, but its upload may still land: say so, and keep it unfinished.
      report.stoppedDeploy = {
        manualCommand:
          report.previousVersion === null
            ? undefined
            : deployer.manualRollbackCommand(service, target, report.previousVersion),
      };
    } else if (report.newVersion === undefined) {
      context.unfinished?.closed(worker);
    }
    const failure = `deploy: ${(error as Error).message}`;
    return watch.interrupted ? end("interrupted", failure) : fail(failure);
  }
  report.timings.deployMs = clock.now() - stepStarted;
  report.newVersion = deployed.versionId;
  await context.journal?.step(service, "deployed", deployed.versionId);
  if (interrupted("once its deploy had finished")) return;

  if (await verifyVersion(context, context.http, service, report, deployed, tests, ends)) {
    succeeded(context, run, started);
  }
}

function succeeded(context: DeployContext, { service, report }: ServiceRun, started: number): void {
  void context.journal?.step(service, "verified", report.newVersion);
  report.outcome = "deployed";
  report.durationMs = context.clock.now() - started;
  context.progress(
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

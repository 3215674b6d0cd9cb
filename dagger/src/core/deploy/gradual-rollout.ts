import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import { bakeNewVersion } from "./bake-period.js";
import { stepJudge, usersOnly, watchWindow } from "./canary-window.js";
import type { DeployContext } from "./deploy-context.js";
import { formatSeconds } from "./health.js";
import { type DeployedVersion, NotStartedError, type VersionShare } from "./ports.js";
import { type ProbeTraffic, startProbes } from "./probe-traffic.js";
import type { ErrorExposure, ServiceReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";
import type { SmokeTest } from "./smoke-tests.js";
import { type ServiceEnds, verifyVersion } from "./verify-version.js";
import { withVersionOverride } from "./version-override.js";

/**
 * One service's gradual rollout, from its recorded previous version: upload the new version,
 * deploy it at 0% so that health and smoke tests can reach it (and only it) by version
 * override while users stay on the old one, then move traffic step by step. Each step below
 * 100% serves for the policy's window and is judged, at every poll, on what users received
 * from both versions in it (see canary-analysis.ts); a failure stops the window at once, and a
 * step that does not pass takes the service straight back to 100% old (verified by health)
 * before the run rolls back the rest. At 100% the new version bakes: it is judged against the
 * old version's pre-deploy baseline and its crons are checked, with the same rollback. An interruption during a window ends it at once; the
 * run's rollback then returns the service to its old version like any other.
 *
 * True when the new version reached 100%; otherwise the service has ended through `ends`.
 * `deployStarted` is when the service's migrations began, so `deployMs` means what it means
 * for an immediate deploy: migrations through the new version in place (here, at 0%).
 */
export async function rollOutGradually(
  context: DeployContext,
  gradual: NonNullable<DeployContext["gradual"]>,
  service: ServiceInfo,
  report: ServiceReport,
  smokeTests: SmokeTest[],
  ends: ServiceEnds,
  deployStarted: number,
): Promise<boolean> {
  const { clock, deployer, progress, target } = context;
  const { policy } = gradual;
  const worker = workerName(service, target);
  const previous = report.previousVersion as string;
  const steps: NonNullable<ServiceReport["steps"]> = [];
  report.strategy = "gradual";
  report.steps = steps;

  progress(`  → ${service.name}: uploading a new version (serving ${previous})`);
  let uploaded: DeployedVersion;
  try {
    uploaded = await deployer.uploadVersion(service, target, context.interrupt);
  } catch (error) {
    report.timings.deployMs = clock.now() - deployStarted;
    // An uploaded version serves nothing until a deployment names it: nothing to undo.
    context.unfinished?.closed(worker);
    if (error instanceof NotStartedError) {
      ends.interrupted("before its code was uploaded");
      return false;
    }
    const failure = `upload: ${(error as Error).message}`;
    if (!ends.interrupted(`while uploading (${failure})`)) ends.fail(failure);
    return false;
  }
  const next = uploaded.versionId;
  // From the first `versions deploy` on, the version is (or may be) in a deployment, so the
  // run's rollback must cover it even if that call fails half-way.
  report.newVersion = next;
  const moveTo = async (percentage: number): Promise<boolean> => {
    const split: VersionShare[] =
      percentage === 100
        ? [{ versionId: next, percentage }]
        : [
            { versionId: next, percentage },
            { versionId: previous, percentage: 100 - percentage },
          ];
    try {
      await deployer.deployVersions(
        service,
        target,
        split,
        `pipeline gradual rollout: ${percentage}% to ${next}`,
      );
    } catch (error) {
      ends.fail(`versions deploy at ${percentage}%: ${(error as Error).message}`);
      return false;
    }
    steps.push({ percentage, startedAt: new Date(clock.now()).toISOString() });
    return true;
  };
  const moved = await moveTo(0);
  report.timings.deployMs = clock.now() - deployStarted;
  if (!moved || ends.interrupted("once its version was uploaded")) return false;

  const pinned = withVersionOverride(context.http, worker, next);
  if (!(await verifyVersion(context, pinned, service, report, uploaded, smokeTests, ends))) {
    return false;
  }

  const stepsStarted = clock.now();
  // Users' exposure counts from the first split live: before it, the new version served no one.
  const exposureSince = () => Date.parse(steps[1]?.startedAt ?? "") || stepsStarted;
  const versions = { next, previous };
  const probeTotals: ProbeTraffic[] = [];
  const rollBack = async (failure: string) => {
    ends.detected();
    report.rollback = await rollbackService(context, service, previous, next, failure, report.url);
    report.timings.rolloutMs = clock.now() - stepsStarted;
    report.exposure = await errorExposure(
      context,
      gradual,
      worker,
      versions,
      exposureSince(),
      probeTotals,
    );
    ends.fail(failure);
  };
  for (const percentage of policy.steps) {
    if (ends.interrupted(`before its ${percentage}% step`)) return false;
    if (!(await moveTo(percentage))) return false;
    if (percentage === 100) break;
    const step = steps.at(-1) as NonNullable<typeof steps>[number];
    progress(
      `  → ${service.name}: ${percentage}% on ${next}, watching ${formatSeconds(policy.windowMs)}`,
    );
    const probes =
      policy.probesPerSecond > 0 && report.url !== undefined
        ? startProbes(
            context.http,
            clock,
            report.url,
            worker,
            [next, previous],
            smokeTests,
            policy.probesPerSecond,
          )
        : undefined;
    const watch = await watchWindow(
      context,
      gradual,
      stepJudge(gradual, worker, versions),
      policy.windowMs,
      policy.maxWaitMs,
    );
    const probed = await probes?.stop();
    if (probed) {
      step.probes = probed;
      probeTotals.push(...probed);
    }
    if (!watch) {
      step.interrupted = `after ${formatSeconds(clock.now() - Date.parse(step.startedAt))} of its window`;
      ends.interrupted(`during its ${percentage}% analysis window`);
      return false;
    }
    const { analysis, ...how } = watch;
    step.analysis = analysis;
    step.watch = how;
    progress(
      `    ${service.name} at ${percentage}%: ${analysis.verdict}${watch.stoppedEarly ? ` after ${formatSeconds(watch.elapsedMs)} (stopped early)` : ""}: ${analysis.reason}`,
    );
    if (analysis.verdict !== "pass") {
      await rollBack(`analysis at ${percentage}%: ${analysis.verdict}: ${analysis.reason}`);
      return false;
    }
  }
  report.timings.rolloutMs = clock.now() - stepsStarted;
  if (policy.bakeMs > 0) {
    progress(`  → ${service.name}: 100% on ${next}, baking ${formatSeconds(policy.bakeMs)}`);
    const bake = await bakeNewVersion(context, gradual, worker, versions, deployStarted);
    if (!bake) {
      ends.interrupted("during its bake after 100%");
      return false;
    }
    report.bake = bake;
    progress(`    ${service.name} bake: ${bake.verdict}: ${bake.analysis.reason}`);
    if (bake.scheduled)
      progress(`    ${service.name} crons: ${bake.scheduled.outcome}: ${bake.scheduled.note}`);
    if (bake.verdict === "fail") {
      await rollBack(`bake after 100%: ${bake.analysis.reason}`);
      return false;
    }
  }
  report.exposure = await errorExposure(
    context,
    gradual,
    worker,
    versions,
    exposureSince(),
    probeTotals,
  );
  return true;
}

/**
 * Users' error exposure over the whole rollout, from one telemetry read from `since` (the first
 * split live) to now (the probes' own requests taken out); undefined when the telemetry cannot
 * be read.
 */
async function errorExposure(
  context: DeployContext,
  gradual: NonNullable<DeployContext["gradual"]>,
  worker: string,
  versions: { next: string; previous: string },
  since: number,
  probes: ProbeTraffic[],
): Promise<ErrorExposure | undefined> {
  const until = context.clock.now();
  let traffic: Awaited<ReturnType<typeof gradual.metrics.traffic>>;
  try {
    traffic = await gradual.metrics.traffic(
      worker,
      [versions.next, versions.previous],
      new Date(since),
      new Date(until),
    );
  } catch {
    return undefined;
  }
  const probed = (versionId: string) => {
    const mine = probes.filter((probe) => probe.versionId === versionId);
    return {
      versionId,
      requests: mine.reduce((sum, probe) => sum + probe.requests, 0),
      serverErrors: mine.reduce((sum, probe) => sum + probe.serverErrors, 0),
      clientErrors: mine.reduce((sum, probe) => sum + probe.clientErrors, 0),
      failed: 0,
    };
  };
  const [next, previous] = traffic.map((row) => usersOnly(row, probed(row.versionId)));
  const requests = (next?.requests ?? 0) + (previous?.requests ?? 0);
  const newVersionErrors = next?.serverErrors ?? 0;
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    newVersionErrors,
    newVersionClientErrors: next?.clientErrors ?? 0,
    requests,
    rate: requests === 0 ? undefined : newVersionErrors / requests,
    sampleInterval: Math.max(next?.sampleInterval ?? 1, previous?.sampleInterval ?? 1),
  };
}

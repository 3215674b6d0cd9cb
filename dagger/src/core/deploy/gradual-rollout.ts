import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import { judgeWindow, type WindowAnalysis } from "./canary-analysis.js";
import type { DeployContext } from "./deploy-context.js";
import { formatSeconds } from "./health.js";
import { type DeployedVersion, NotStartedError, type VersionShare } from "./ports.js";
import type { ServiceReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";
import type { SmokeTest } from "./smoke-tests.js";
import { type ServiceEnds, verifyVersion } from "./verify-version.js";
import { withVersionOverride } from "./version-override.js";

/**
 * One service's gradual rollout, from its recorded previous version: upload the new version,
 * deploy it at 0% so that health and smoke tests can reach it (and only it) by version
 * override while users stay on the old one, then move traffic step by step. Each step below
 * 100% serves for the policy's window and is judged on that window's metrics of both versions;
 * a step that does not pass takes the service straight back to 100% old (verified by health)
 * before the run rolls back the rest. An interruption during a window ends it at once; the
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
  for (const percentage of policy.steps) {
    if (ends.interrupted(`before its ${percentage}% step`)) return false;
    if (!(await moveTo(percentage))) return false;
    if (percentage === 100) break;
    const step = steps.at(-1) as NonNullable<typeof steps>[number];
    progress(
      `  → ${service.name}: ${percentage}% on ${next}, watching ${formatSeconds(policy.windowMs)}`,
    );
    const since = new Date(clock.now());
    await clock.sleep(policy.windowMs, context.interrupt);
    if (context.interrupt?.aborted) {
      step.interrupted = `after ${formatSeconds(clock.now() - since.getTime())} of its window`;
      ends.interrupted(`during its ${percentage}% analysis window`);
      return false;
    }
    const analysis = await analyse(context, gradual, service, { next, previous }, since);
    step.analysis = analysis;
    progress(`    ${service.name} at ${percentage}%: ${analysis.verdict}: ${analysis.reason}`);
    if (analysis.verdict !== "pass") {
      ends.detected();
      const reason = `${percentage}% analysis ${analysis.verdict}: ${analysis.reason}`;
      report.rollback = await rollbackService(context, service, previous, next, reason, report.url);
      report.timings.rolloutMs = clock.now() - stepsStarted;
      ends.fail(`analysis at ${percentage}%: ${analysis.verdict}: ${analysis.reason}`);
      return false;
    }
  }
  report.timings.rolloutMs = clock.now() - stepsStarted;
  return true;
}

/** The window's verdict; metrics that cannot be read make it inconclusive, which fails. */
async function analyse(
  context: DeployContext,
  gradual: NonNullable<DeployContext["gradual"]>,
  service: ServiceInfo,
  versions: { next: string; previous: string },
  since: Date,
): Promise<WindowAnalysis> {
  const none = (versionId: string) => ({ versionId, requests: 0, errors: 0, p95Ms: undefined });
  const { next, previous } = versions;
  const until = new Date(context.clock.now());
  try {
    const read = await gradual.metrics.read(
      service,
      context.target,
      [next, previous],
      since,
      until,
    );
    const find = (id: string) => read.find((row) => row.versionId === id) ?? none(id);
    return judgeWindow(find(previous), find(next), gradual.policy);
  } catch (error) {
    return {
      verdict: "inconclusive",
      reason: `could not read the window's metrics: ${(error as Error).message}`,
      old: none(previous),
      new: none(next),
    };
  }
}

import type { ServiceInfo } from "../services/catalog.js";
import type { DeployContext } from "./deploy-context.js";
import { pollHealth } from "./health.js";
import type { DeployedVersion, HttpClient } from "./ports.js";
import type { ServiceReport } from "./report.js";
import { joinUrl, runSmokeTest, type SmokeTest } from "./smoke-tests.js";

/** How a step of one service's deploy ends it early; the deploy's own bookkeeping does the rest. */
export interface ServiceEnds {
  fail(failure: string): void;
  /** True (and the service ends as interrupted, `when`) once the run has been interrupted. */
  interrupted(when: string): boolean;
  /**
   * The failure is known now, though the service first recovers on its own (a gradual rollout
   * returning to its old version): the run's time to recover counts from here.
   */
  detected(): void;
}

/**
 * Waits for `/health` to report the new version, then runs the service's smoke tests, all
 * through `http`: the plain client after an immediate deploy, one pinned to the new version by
 * override during a gradual one. Records health, smoke results and their timings on `report`;
 * false once the service has ended (failed or interrupted).
 */
export async function verifyVersion(
  context: DeployContext,
  http: HttpClient,
  service: ServiceInfo,
  report: ServiceReport,
  deployed: DeployedVersion,
  smokeTests: SmokeTest[],
  ends: ServiceEnds,
): Promise<boolean> {
  const { clock, target } = context;
  const baseUrl = await context.endpoints.baseUrl(service, target, deployed);
  if (baseUrl === undefined) {
    ends.fail(
      "health: no URL to check (enable workers_dev or give the Worker a route wrangler reports)",
    );
    return false;
  }
  report.url = baseUrl;

  let stepStarted = clock.now();
  report.health = await pollHealth(
    http,
    clock,
    joinUrl(baseUrl, service.healthPath),
    deployed.versionId,
    context.health,
    context.interrupt,
    service.healthContract,
  );
  report.timings.healthMs = clock.now() - stepStarted;
  if (ends.interrupted("during its health check")) return false;
  if (!report.health.ok) {
    ends.fail(`health: ${report.health.failure ?? "unhealthy"}`);
    return false;
  }

  stepStarted = clock.now();
  for (const test of smokeTests) {
    if (ends.interrupted("during its smoke tests")) return false;
    const result = await runSmokeTest(http, baseUrl, test, clock.now);
    report.smoke.push(result);
    if (!result.ok) {
      report.timings.smokeMs = clock.now() - stepStarted;
      ends.fail(`smoke "${result.name}": ${result.failure ?? "failed"}`);
      return false;
    }
  }
  report.timings.smokeMs = clock.now() - stepStarted;
  return true;
}

import type { HealthContract } from "../config/health-contracts.js";
import type { Clock, HttpClient } from "./ports.js";

export interface HealthPolicy {
  /** Give up after this long, counted from the first attempt. */
  timeoutMs: number;
  /** The first wait between attempts; it doubles after each failure up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  timeoutMs: 30_000,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
  requestTimeoutMs: 5_000,
};

export interface HealthResult {
  ok: boolean;
  attempts: number;
  durationMs: number;
  /** The `version` the Worker reported on its last answer, if it answered JSON. */
  observedVersion?: string;
  failure?: string;
}

/**
 * Polls `GET <healthUrl>` (the service's health path, `/health` unless configured) until it answers 200 with `status: "ok"` and, when `expectedVersion` is
 * given, reports that version: right after a deploy or rollback the old version can still be
 * answering, and a healthy old version proves nothing about the new one. An aborted `stop`
 * ends the waiting early (a new version of an interrupted run is rolled back anyway); checks
 * that prove a rollback pass none.
 */
export async function pollHealth(
  http: HttpClient,
  clock: Clock,
  healthUrl: string,
  expectedVersion: string | undefined,
  policy: HealthPolicy,
  stop?: AbortSignal,
  contract: HealthContract = "version",
): Promise<HealthResult> {
  const started = clock.now();
  const deadline = started + policy.timeoutMs;
  let delay = policy.initialDelayMs;
  let attempts = 0;
  let observedVersion: string | undefined;
  let last = "no answer yet";
  const result = (failure?: string): HealthResult => ({
    ok: failure === undefined,
    attempts,
    durationMs: clock.now() - started,
    ...(observedVersion === undefined ? {} : { observedVersion }),
    ...(failure === undefined ? {} : { failure }),
  });
  for (;;) {
    if (stop?.aborted) {
      return result(`interrupted before it answered healthy; last: ${last}`);
    }
    attempts += 1;
    const remaining = Math.max(1, deadline - clock.now());
    const probe = await probeOnce(
      http,
      healthUrl,
      expectedVersion,
      Math.min(policy.requestTimeoutMs, remaining),
      contract,
    );
    observedVersion = probe.version ?? observedVersion;
    if (probe.failure === undefined) {
      return result();
    }
    last = probe.failure;
    if (clock.now() + delay >= deadline) {
      return result(
        `not healthy after ${formatSeconds(policy.timeoutMs)} (${attempts} attempts); last: ${last}`,
      );
    }
    await clock.sleep(delay, stop);
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
}

async function probeOnce(
  http: HttpClient,
  url: string,
  expectedVersion: string | undefined,
  timeoutMs: number,
  contract: HealthContract,
): Promise<{ failure?: string; version?: string }> {
  let response: Awaited<ReturnType<HttpClient["request"]>>;
  try {
    response = await http.request({ method: "GET", url, headers: {}, timeoutMs });
  } catch (error) {
    return { failure: (error as Error).message };
  }
  if (contract === "status") {
    return response.status >= 200 && response.status < 300
      ? {}
      : { failure: `status ${response.status}, body ${response.body.slice(0, 200)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return { failure: `status ${response.status}, not JSON: ${response.body.slice(0, 120)}` };
  }
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const version = typeof fields.version === "string" ? fields.version : undefined;
  const withVersion = version === undefined ? {} : { version };
  if (response.status !== 200 || fields.status !== "ok") {
    return {
      failure: `status ${response.status}, body ${response.body.slice(0, 200)}`,
      ...withVersion,
    };
  }
  if (expectedVersion !== undefined && version !== expectedVersion) {
    return {
      failure: `healthy but serving version ${version ?? "(none)"}, expected ${expectedVersion}`,
      ...withVersion,
    };
  }
  return withVersion;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

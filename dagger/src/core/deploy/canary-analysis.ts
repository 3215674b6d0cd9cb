import type { GradualPolicy } from "./rollout-policy.js";
import type { VersionMetrics } from "./version-metrics.js";

/**
 * `inconclusive`: the window cannot tell (a version served nothing, or the analytics could not
 * be read). It does not pass: a rollout only moves on evidence that the new version is fine.
 */
export type WindowVerdict = "pass" | "fail" | "inconclusive";

export interface WindowAnalysis {
  verdict: WindowVerdict;
  /** One line: the numbers that decided it. */
  reason: string;
  old: VersionMetrics;
  new: VersionMetrics;
}

export function errorRate(metrics: VersionMetrics): number | undefined {
  return metrics.requests === 0 ? undefined : metrics.errors / metrics.requests;
}

const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * Judges one window: the new version fails on an error rate above the absolute ceiling, or on
 * a p95 above both `maxLatencyRatio` × the old version's p95 and the latency floor. Errors are
 * judged against a fixed ceiling, not the old version's rate, so a canary cannot pass by being
 * as broken as what it replaces; latency is judged relatively, since what is slow depends on
 * the Worker.
 */
export function judgeWindow(
  oldMetrics: VersionMetrics,
  newMetrics: VersionMetrics,
  policy: GradualPolicy,
): WindowAnalysis {
  const result = (verdict: WindowVerdict, reason: string): WindowAnalysis => ({
    verdict,
    reason,
    old: oldMetrics,
    new: newMetrics,
  });
  const newRate = errorRate(newMetrics);
  if (newRate === undefined || newMetrics.p95Ms === undefined) {
    return result("inconclusive", "the new version served no requests in the window");
  }
  if (newRate > policy.maxErrorRate) {
    return result(
      "fail",
      `error rate ${pct(newRate)} (${newMetrics.errors}/${newMetrics.requests}) is above the ${pct(policy.maxErrorRate)} ceiling`,
    );
  }
  if (oldMetrics.p95Ms === undefined) {
    return result(
      "inconclusive",
      "the old version served no requests in the window: no latency to compare with",
    );
  }
  const ceiling = Math.max(oldMetrics.p95Ms * policy.maxLatencyRatio, policy.latencyFloorMs);
  if (newMetrics.p95Ms > ceiling) {
    return result(
      "fail",
      `p95 ${ms(newMetrics.p95Ms)} is above the ${ms(ceiling)} ceiling (${policy.maxLatencyRatio}× the old version's ${ms(oldMetrics.p95Ms)}, at least ${ms(policy.latencyFloorMs)})`,
    );
  }
  return result(
    "pass",
    `error rate ${pct(newRate)} ≤ ${pct(policy.maxErrorRate)}, p95 ${ms(newMetrics.p95Ms)} ≤ ${ms(ceiling)}`,
  );
}

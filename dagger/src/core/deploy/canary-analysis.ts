import { fisherExactGreater, SIGNIFICANCE, significantlyAbove } from "./canary-statistics.js";
import type { GradualPolicy } from "./rollout-policy.js";
import type { VersionTraffic } from "./telemetry-query.js";

/**
 * `inconclusive`: the window cannot tell (too little traffic, or the telemetry could not be
 * read). It does not pass: a rollout only moves on evidence that the new version is fine.
 */
export type WindowVerdict = "pass" | "fail" | "inconclusive";

/** One test of a window, by what it looks at. */
export interface CanaryCheck {
  check: "5xx-ceiling" | "5xx-vs-old" | "4xx-vs-old" | "p95-ratio";
  verdict: WindowVerdict;
  detail: string;
}

export interface WindowAnalysis {
  verdict: WindowVerdict;
  /** One line: the numbers that decided it. */
  reason: string;
  /** Users' traffic (probe traffic taken out), per version. */
  old: VersionTraffic;
  new: VersionTraffic;
  checks: CanaryCheck[];
}

/**
 * A rise in a rate smaller than this is not worth a rollback even when it is significant: with
 * thousands of requests a tenth of a point is "significant", and no user notices it.
 */
export const MIN_RATE_INCREASE = 0.01;

export function rateOf(events: number, requests: number): number | undefined {
  return requests === 0 ? undefined : events / requests;
}

const pct = (rate: number | undefined) =>
  rate === undefined ? "n/a" : `${(rate * 100).toFixed(1)}%`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

const formatP = (p: number) => (p < 0.001 ? "<0.001" : p.toFixed(3));

/** Events actually seen (sampled counts divided back by their sample interval). */
const seen = (count: number, traffic: VersionTraffic) => count / traffic.sampleInterval;

/**
 * Compares two rates of the same kind (5xx or 4xx): fails when the new version's is higher at
 * 95% (the two-proportion test, Fisher's exact) by at least MIN_RATE_INCREASE, with at least
 * `minSample` requests on each side.
 */
function compareRates(
  check: "5xx-vs-old" | "4xx-vs-old",
  field: "serverErrors" | "clientErrors",
  oldTraffic: VersionTraffic,
  newTraffic: VersionTraffic,
  minSample: number,
): CanaryCheck {
  const newN = seen(newTraffic.requests, newTraffic);
  const oldN = seen(oldTraffic.requests, oldTraffic);
  const newRate = rateOf(newTraffic[field], newTraffic.requests);
  const oldRate = rateOf(oldTraffic[field], oldTraffic.requests);
  const label = check === "5xx-vs-old" ? "5xx" : "4xx";
  if (newN < minSample || oldN < minSample) {
    return {
      check,
      verdict: "inconclusive",
      detail: `${label}: ${Math.round(newN)} new / ${Math.round(oldN)} old requests, fewer than ${minSample} on a side`,
    };
  }
  const p = fisherExactGreater(
    seen(newTraffic[field], newTraffic),
    newN,
    seen(oldTraffic[field], oldTraffic),
    oldN,
  );
  const worse = p < SIGNIFICANCE && (newRate ?? 0) - (oldRate ?? 0) >= MIN_RATE_INCREASE;
  return {
    check,
    verdict: worse ? "fail" : "pass",
    detail: `${label} ${pct(newRate)} (${newTraffic[field]}/${newTraffic.requests}) vs old ${pct(oldRate)} (${oldTraffic[field]}/${oldTraffic.requests}), p=${formatP(p)}${worse ? " < 0.05" : ""}`,
  };
}

/**
 * Judges the window so far. Every test is asked at every poll, and a failure ends the window
 * at once; a pass needs the window's end (`final`) and enough traffic on both versions.
 *
 * - 5xx ceiling: the new version's share of 5xx responses (and exceptions) against the
 *   absolute ceiling. Mid-window it fails only on significant evidence (exact binomial, 95%),
 *   which is what lets 10 failures in 12 requests stop the window; at its end, with the
 *   minimum sample, any rate above the ceiling fails. A fixed ceiling, so a canary cannot
 *   pass by being as broken as what it replaces.
 * - 5xx and 4xx against the old version in the same window (two-proportion z at 95%): a
 *   broken auth check shows as a 401 spike that a ceiling would not know is abnormal.
 * - p95 against the old version's, at the window's end only (a percentile of a few requests
 *   moves a lot), above both `maxLatencyRatio` × old and the latency floor.
 */
export function judgeWindow(
  oldTraffic: VersionTraffic,
  newTraffic: VersionTraffic,
  policy: GradualPolicy,
  final: boolean,
): WindowAnalysis {
  const { minSample } = policy;
  const newN = seen(newTraffic.requests, newTraffic);
  const oldN = seen(oldTraffic.requests, oldTraffic);
  const newErrors = seen(newTraffic.serverErrors, newTraffic);
  const newRate = rateOf(newTraffic.serverErrors, newTraffic.requests);
  const checks: CanaryCheck[] = [];

  const overCeiling =
    significantlyAbove(newErrors, newN, policy.maxErrorRate) ||
    (final && newN >= minSample && (newRate ?? 0) > policy.maxErrorRate);
  checks.push({
    check: "5xx-ceiling",
    verdict: overCeiling ? "fail" : newN >= minSample ? "pass" : "inconclusive",
    detail:
      overCeiling || newN >= minSample
        ? `5xx ${pct(newRate)} (${newTraffic.serverErrors}/${newTraffic.requests}, ${newTraffic.exceptions} exceptions) ${overCeiling ? "is above" : "against"} the ${pct(policy.maxErrorRate)} ceiling`
        : `5xx: ${Math.round(newN)} new requests, fewer than ${minSample}`,
  });
  checks.push(compareRates("5xx-vs-old", "serverErrors", oldTraffic, newTraffic, minSample));
  checks.push(compareRates("4xx-vs-old", "clientErrors", oldTraffic, newTraffic, minSample));
  if (final) checks.push(latencyCheck(oldTraffic, newTraffic, newN, oldN, policy));

  const failed = checks.find((check) => check.verdict === "fail");
  const analysis = (verdict: WindowVerdict, reason: string): WindowAnalysis => ({
    verdict,
    reason,
    old: oldTraffic,
    new: newTraffic,
    checks,
  });
  if (failed) return analysis("fail", failed.detail);
  if (!final) return analysis("inconclusive", "the window is still running");
  const undecided = checks.find((check) => check.verdict === "inconclusive");
  if (undecided) return analysis("inconclusive", `too little traffic: ${undecided.detail}`);
  return analysis("pass", checks.map((check) => check.detail).join("; "));
}

function latencyCheck(
  oldTraffic: VersionTraffic,
  newTraffic: VersionTraffic,
  newN: number,
  oldN: number,
  policy: GradualPolicy,
): CanaryCheck {
  if (
    newN < policy.minSample ||
    oldN < policy.minSample ||
    newTraffic.p95Ms === undefined ||
    oldTraffic.p95Ms === undefined
  ) {
    return {
      check: "p95-ratio",
      verdict: "inconclusive",
      detail: `p95: ${Math.round(newN)} new / ${Math.round(oldN)} old requests, fewer than ${policy.minSample} on a side`,
    };
  }
  const ceiling = Math.max(oldTraffic.p95Ms * policy.maxLatencyRatio, policy.latencyFloorMs);
  const slow = newTraffic.p95Ms > ceiling;
  return {
    check: "p95-ratio",
    verdict: slow ? "fail" : "pass",
    detail: `p95 ${ms(newTraffic.p95Ms)} ${slow ? "is above" : "≤"} the ${ms(ceiling)} ceiling (${policy.maxLatencyRatio}× the old version's ${ms(oldTraffic.p95Ms)}, at least ${ms(policy.latencyFloorMs)})`,
  };
}

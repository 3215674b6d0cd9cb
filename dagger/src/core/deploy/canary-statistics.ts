// The statistics a canary window is judged by, written out rather than taken from a library:
// the module's runtime installs every dependency on each `dagger call`, and these are a few
// lines each. Every test is one-sided (is the new version worse?) at 95% confidence.

export const SIGNIFICANCE = 0.05;

/**
 * Fisher's exact test, one-sided: the probability that the new version would show at least
 * `newEvents` of all the events in the window if both versions had the same rate (the
 * hypergeometric upper tail). It is the two-proportion test that stays exact for the handful
 * of errors a short window holds, where the z-test's normal approximation calls one error in
 * ten requests against one in 360 significant (exact: p = 0.053). Counts are rounded: sampled
 * counts arrive as estimates.
 */
export function fisherExactGreater(
  newEvents: number,
  newTotal: number,
  oldEvents: number,
  oldTotal: number,
): number {
  const [x, n1, n2] = [Math.round(newEvents), Math.round(newTotal), Math.round(oldTotal)];
  const events = x + Math.round(oldEvents);
  const total = n1 + n2;
  if (n1 <= 0 || n2 <= 0 || events === 0 || x <= 0) return 1;
  const highest = Math.min(n1, events);
  let logTerm = logChoose(events, x) + logChoose(total - events, n1 - x) - logChoose(total, n1);
  let sum = 0;
  for (let k = x; k <= highest; k++) {
    sum += Math.exp(logTerm);
    // term(k+1) / term(k) = (K − k)(n − k) / ((k + 1)(N − K − n + k + 1))
    logTerm += Math.log(((events - k) * (n1 - k)) / ((k + 1) * (total - events - n1 + k + 1)));
  }
  return Math.min(1, sum);
}

/**
 * P(X ≥ events) for X ~ Binomial(total, rate): how likely a version whose true rate is `rate`
 * shows at least this many events. Summed in log space, so thousands of requests stay exact.
 */
export function binomialUpperTail(events: number, total: number, rate: number): number {
  if (events <= 0) return 1;
  if (events > total) return 0;
  if (rate <= 0) return 0;
  if (rate >= 1) return 1;
  let sum = 0;
  let logTerm =
    logChoose(total, events) + events * Math.log(rate) + (total - events) * Math.log1p(-rate);
  for (let k = events; k <= total; k++) {
    sum += Math.exp(logTerm);
    // term(k+1) / term(k) = (n − k) / (k + 1) · p / (1 − p)
    logTerm += Math.log((total - k) / (k + 1)) + Math.log(rate) - Math.log1p(-rate);
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  const smaller = Math.min(k, n - k);
  let sum = 0;
  for (let i = 1; i <= smaller; i++) sum += Math.log((n - smaller + i) / i);
  return sum;
}

/**
 * True when `events` of `total` is significant evidence (95%, exact binomial) that the true
 * rate is above `ceiling`: what lets a window stop early, since 10 failures in 12 requests say
 * more than any later request could undo.
 */
export function significantlyAbove(events: number, total: number, ceiling: number): boolean {
  return (
    total > 0 && binomialUpperTail(Math.round(events), Math.round(total), ceiling) < SIGNIFICANCE
  );
}

/**
 * How `deploy` and `release` move traffic to new versions (the core's DEPLOY_STRATEGIES; the
 * CLI matches member names case-insensitively). Left out, production is gradual and other
 * environments immediate.
 */
export enum RolloutStrategy {
  Gradual = "gradual",
  Immediate = "immediate",
}

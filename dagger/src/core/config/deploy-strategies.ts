/**
 * How a deploy moves traffic to a new version: `immediate` (`wrangler deploy`, 100% at once)
 * or `gradual` (`wrangler versions upload`, then `versions deploy` in steps, each below 100%
 * judged by an analysis window). Production defaults to gradual: it has the traffic that makes
 * a window meaningful, and the users a bad version would hurt.
 */
export const DEPLOY_STRATEGIES = ["gradual", "immediate"] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];

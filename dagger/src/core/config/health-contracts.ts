// The choices a repository's config makes about health checks; the deploy layer acts on them.

/** Where a Worker answers its health check unless the pipeline config names another path. */
export const DEFAULT_HEALTH_PATH = "/health";

/**
 * What a healthy answer is. version (ours, the default): 200 with JSON `{"status": "ok",
 * "version": <its version id>}`, which proves the version that answers is the one deployed.
 * status: any 2xx, for Workers that do not report their version (most we did not write); the
 * switch itself is then proven only by the API that made it.
 */
export const HEALTH_CONTRACTS = ["version", "status"] as const;
export type HealthContract = (typeof HEALTH_CONTRACTS)[number];

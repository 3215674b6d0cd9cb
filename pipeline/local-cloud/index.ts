/**
 * Local Workers control plane: a loopback server speaking the part of the Cloudflare API v4
 * that wrangler 4 uses to deploy, list versions/deployments and roll back, serving the active
 * version of every uploaded worker in workerd (Miniflare 4). Point wrangler at it with
 * `handle.wranglerEnv` (CLOUDFLARE_API_BASE_URL, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN,
 * WRANGLER_SEND_METRICS) and run the same commands as against Cloudflare.
 *
 * Programmatic API (for the deploy orchestrator):
 *   ensureLocalCloud(repoRoot, { stateDir?, port? }) -> LocalCloudHandle
 *       Returns the running instance for stateDir (default <repoRoot>/.local-cloud) or starts a
 *       detached one. handle: { pid, apiBaseUrl, accountId, stateDir, logFile, wranglerEnv,
 *       workerUrl(name) -> Promise<string | undefined>, workers(),
 *       triggerScheduled(name, cron), stop() }.
 *   localCloudStatus(repoRoot, { stateDir? }) -> { running, pid?, apiBaseUrl?, accountId?,
 *       workers: [{ name, url, activeVersionId, versions, deployedOn, health: { ok, status, body } }] }
 *   stopLocalCloud(repoRoot, { stateDir? }) -> Promise<boolean> (false when nothing ran)
 *   startIsolatedLocalCloud() -> handle + { restart(), dispose() }: its own temp state dir and
 *       free port, in this process, for tests and benchmarks.
 *   startLocalCloudServer({ dataDir, port?, log? })  in-process server (no state.json).
 *
 * Behaviour worth knowing:
 *   - Every upload is started in a throwaway workerd first; a worker that throws at start-up is
 *     refused with API error 10021 (wrangler exits non-zero) and what serves does not change.
 *   - Each worker keeps one loopback port (`workerUrl`) across deploys, rollbacks and restarts;
 *     `GET <url>/health` reaches the active version, whose VERSION binding id is the version id.
 *   - Service bindings (by worker name), D1 (one persisted database per database_id; also
 *     `wrangler d1 execute|migrations apply --remote`), queues (producers; consumers from the
 *     consumer settings wrangler registers), vars, secrets, KV and R2 are wired in workerd.
 *   - A service binding to a worker that is not deployed is refused: deploy in dependency order.
 *   - D1 databases and queues named by an upload are created on first use.
 *   - State (versions, deployments, D1/KV/R2 data) lives in <stateDir>/data and survives restarts.
 *   - Unknown API routes answer a 404 envelope naming the route (code 7003), so gaps show
 *     (and `UNKNOWN ROUTE` lines in <stateDir>/server.log).
 *   - A deployment swap restarts workerd once (parallel swaps share it) after requests already
 *     let through to a worker have finished (at most 15 s); requests arriving meanwhile wait.
 *   - `wrangler deployments list --json` sorts oldest first: the serving version is the last.
 *   - Compatibility dates newer than the bundled workerd supports run at its newest date.
 *   - Not modelled: gradual (split) deployments serve only the largest share; cron triggers
 *     do not run on a clock (use triggerScheduled); routes/custom domains are accepted, unused.
 */
export {
  ensureLocalCloud,
  type LocalCloudHandle,
  type LocalCloudOptions,
  type LocalCloudStatus,
  localApiToken,
  localCloudStatus,
  stopLocalCloud,
  type WorkerHealth,
} from "./lifecycle.js";
export {
  type LocalCloudServer,
  localAccountId,
  startLocalCloudServer,
  type WorkerStatus,
} from "./server.js";
export { type IsolatedLocalCloud, startIsolatedLocalCloud } from "./testing.js";

/**
 * Local Workers control plane: a loopback server speaking the part of the Cloudflare API v4
 * that wrangler 4 uses to deploy, upload versions, split traffic between them, list
 * versions/deployments and roll back, serving every version of each worker's current
 * deployment in workerd (Miniflare 4), plus the GraphQL Analytics query that reads per-version
 * metrics. Point wrangler at it with `handle.wranglerEnv` (CLOUDFLARE_API_BASE_URL,
 * CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, WRANGLER_SEND_METRICS) and run the same
 * commands as against Cloudflare.
 *
 * Programmatic API (for the deploy orchestrator):
 *   ensureLocalCloud(repoRoot, { stateDir?, port?, splitSeed? }) -> LocalCloudHandle
 *       Returns the running instance for stateDir (default <repoRoot>/.local-cloud) or starts a
 *       detached one. handle: { pid, apiBaseUrl, accountId, stateDir, logFile, wranglerEnv,
 *       workerUrl(name) -> Promise<string | undefined>, workers(),
 *       triggerScheduled(name, cron), stop() }.
 *   localCloudStatus(repoRoot, { stateDir? }) -> { running, pid?, apiBaseUrl?, accountId?,
 *       workers: [{ name, url, activeVersionId, versions, deployedOn, health: { ok, status, body } }] }
 *   stopLocalCloud(repoRoot, { stateDir? }) -> Promise<boolean> (false when nothing ran)
 *   startIsolatedLocalCloud({ splitSeed? }) -> handle + { restart(), dispose() }: its own temp
 *       state dir and free port, in this process, for tests and benchmarks.
 *   startLocalCloudServer({ dataDir, port?, log?, splitSeed? })  in-process server (no state.json).
 *
 * Behaviour worth knowing:
 *   - Every upload is started in a throwaway workerd first; a worker that throws at start-up is
 *     refused with API error 10021 (wrangler exits non-zero) and what serves does not change.
 *   - Each worker keeps one loopback port (`workerUrl`) across deploys, rollbacks and restarts;
 *     `GET <url>/health` reaches a version of the current deployment, whose VERSION binding id
 *     is the version id.
 *   - Gradual deployments: `wrangler versions upload` stores a version without deploying it;
 *     `wrangler versions deploy <a>@10% <b>@90% -y` runs both (a deployment has one or two
 *     versions) and sends each request on the worker's URL to one of them at random by the
 *     percentages, as Cloudflare does. The generator is seeded (`splitSeed`, `--split-seed`;
 *     random by default) and restarts with each deployment, so a seed gives the same split on
 *     every run. `Cloudflare-Workers-Version-Overrides: <worker>="<version id>"` (an RFC 8941
 *     Dictionary) sends a request to that version, even one at 0%; an invalid header or a
 *     version outside the deployment is ignored, as on Cloudflare.
 *   - Annotations as on Cloudflare: a version keeps `workers/message` (cut to 1000 bytes) and
 *     `workers/tag` (over 100 bytes is refused) from `--message`/`--tag`, and the platform's
 *     `workers/triggered_by`: `upload` (the first `wrangler deploy`, which creates the Worker),
 *     `version_upload` (the versions API: `versions upload`, and every later `wrangler
 *     deploy`), `secret`. A deployment keeps `workers/message` (cut to 100 bytes) and
 *     `workers/triggered_by`: `upload`, `deployment`, `secret`, or `rollback` (all traffic back
 *     to a version older than any serving, with `workers/rollback_from`).
 *   - A secret change needs the newest version deployed at 100% (else API error 10215, which
 *     wrangler explains), as a secret change deploys at once.
 *   - Analytics: `POST /client/v4/graphql` answers Cloudflare's `workersInvocationsAdaptive`
 *     dataset (filter scriptName[_in], scriptVersion[_in], status, datetime_geq/gt/leq/lt;
 *     dimensions scriptName, scriptVersion, status, datetimeMinute; sum requests, errors;
 *     quantiles wallTimeP50..P99 in microseconds) from the requests the worker URLs served;
 *     other fields fail validation as on Cloudflare. `errors` counts what Cloudflare counts:
 *     exceptions (each version sits behind a front worker that catches them), not 5xx
 *     responses the code returned. Wall time is measured from handing the request to the
 *     version to the last byte of its response.
 *   - Service bindings (by worker name), D1 (one persisted database per database_id; also
 *     `wrangler d1 execute|migrations apply --remote`), queues (producers; consumers from the
 *     consumer settings wrangler registers), vars, secrets, KV, R2 and Durable Objects (with
 *     their migrations, durable-objects.ts) are wired in workerd; any other binding kind is
 *     refused at upload in one line (pipeline/README.md lists them).
 *   - List routes page with `page`/`per_page` and answer `result_info` (pagination.ts).
 *   - A service binding to a worker that is not deployed is refused: deploy in dependency order.
 *   - D1 databases, queues, KV namespaces and R2 buckets named by an upload are created on
 *     first use.
 *   - State (versions, deployments, D1/KV/R2/Durable Object data) lives in <stateDir>/data and
 *     survives restarts.
 *     state.json and data/cloud.json are written atomically with a .bak of the last good
 *     version; a corrupt one is refused in one line (pipeline/README.md, "State files"), and
 *     state.json records the process start time, so a reused pid is not taken for the instance.
 *   - Unknown API routes answer a 404 envelope naming the route (code 7003), so gaps show
 *     (and `UNKNOWN ROUTE` lines in <stateDir>/server.log).
 *   - A deployment swap restarts workerd once (parallel swaps share it) after requests already
 *     let through to a worker have finished (at most 15 s); requests arriving meanwhile wait.
 *   - `wrangler deployments list --json` sorts oldest first: the current deployment is the last.
 *   - Compatibility dates newer than the bundled workerd supports run at its newest date.
 *   - Not modelled: service bindings, queue consumers and cron of a worker in a gradual
 *     deployment reach only its largest share, and only requests on worker URLs are counted in
 *     analytics; version affinity (`Cloudflare-Workers-Version-Key`); CPU time and subrequest
 *     metrics; analytics keep the last 100 000 requests in memory and start empty after a
 *     restart. Cron triggers do not run on a clock (use triggerScheduled); routes/custom
 *     domains are accepted, unused.
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

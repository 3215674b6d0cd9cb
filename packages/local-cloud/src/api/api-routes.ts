import { randomUUID } from "node:crypto";
import * as z from "zod";
import type { InvocationLog } from "../analytics/invocation-log.js";
import { answerTelemetryQuery } from "../analytics/telemetry-api.js";
import { storageRoutes } from "../storage/storage-routes.js";
import { activeVersion } from "../storage/store.js";
import { type ControlPlane, deploymentView, versionView } from "../workers/control-plane.js";
import { parseWorkerUpload } from "../workers/upload.js";
import { ApiError, ErrorCode } from "./envelope.js";
import { jsonBody } from "./json-body.js";
import { paginate } from "./pagination.js";
import { type RouteContext, Router } from "./router.js";

const scripts = "/accounts/:account/workers/scripts/:script";

const deploymentBody = z.object({
  strategy: z.literal("percentage").default("percentage"),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
  annotations: z.record(z.string(), z.string()).default({}),
});

const consumerBody = z.object({
  script_name: z.string().optional(),
  script: z.string().optional(),
  environment_name: z.string().optional(),
  type: z.string().default("worker"),
  dead_letter_queue: z.string().optional(),
  settings: z
    .object({
      batch_size: z.number().optional(),
      max_retries: z.number().optional(),
      max_wait_time_ms: z.number().optional(),
      max_concurrency: z.number().nullable().optional(),
      retry_delay: z.number().optional(),
    })
    .default({}),
});

const d1QueryBody = z.object({ sql: z.string(), params: z.array(z.unknown()).default([]) });

/** The Cloudflare API routes wrangler uses to deploy, list, roll back, and the resources it touches. */
export function apiRoutes(plane: ControlPlane, invocations: InvocationLog): Router {
  const router = new Router();
  const { state } = plane;

  const queueById = ({ params }: RouteContext) => {
    const queue = state.queues[params.queue as string];
    if (!queue)
      throw new ApiError(404, ErrorCode.resourceNotFound, `queue ${params.queue} does not exist`);
    return queue;
  };
  const queueView = (queue: (typeof state.queues)[string]) => ({
    queue_id: queue.queue_id,
    queue_name: queue.queue_name,
    created_on: queue.created_on,
    modified_on: queue.modified_on,
    producers: Object.values(state.workers)
      .filter((w) =>
        activeVersion(w)?.bindings.some(
          (b) => b.type === "queue" && b.queue_name === queue.queue_name,
        ),
      )
      .map((w) => ({ type: "worker", script: w.name })),
    producers_total_count: 0,
    consumers: queue.consumers.map((c) => ({
      ...c,
      queue_name: queue.queue_name,
      script: c.script_name,
    })),
    consumers_total_count: queue.consumers.length,
  });
  const databaseView = (db: (typeof state.databases)[string]) => ({
    uuid: db.uuid,
    name: db.name,
    created_at: db.created_on,
    version: "production",
    num_tables: 0,
    file_size: 0,
  });
  const databaseById = (id: string) => state.databases[id] ?? plane.ensureDatabase(id);
  const runD1 = async (id: string, sql: string, params: unknown[]) => {
    if (!state.databases[id]) {
      // A database seen for the first time must be bound before the runtime can reach it.
      plane.ensureDatabase(id);
      await plane.store.save();
      await plane.runtime.apply();
    }
    const started = performance.now();
    const result = await plane.runtime.d1Query(databaseById(id).uuid, sql, params);
    return [
      {
        results: result.results,
        success: true,
        meta: { ...result.meta, duration: performance.now() - started },
      },
    ];
  };

  router
    // Accounts and the account's workers.dev subdomain.
    .on("GET", "/accounts", ({ url }) =>
      paginate(url, [{ id: state.accountId, name: "Local control plane" }]),
    )
    .on("GET", "/memberships", ({ url }) =>
      paginate(url, [
        { id: "local", account: { id: state.accountId, name: "Local control plane" } },
      ]),
    )
    .on("GET", "/accounts/:account/workers/subdomain", () => ({ subdomain: state.subdomain }))
    .on("PUT", "/accounts/:account/workers/subdomain", () => ({ subdomain: state.subdomain }))
    // Workers, as services and as scripts.
    .on("GET", "/accounts/:account/workers/services/:script", ({ params }) =>
      plane.service(params.script as string),
    )
    .on("GET", "/accounts/:account/workers/workers/:script", ({ params }) => {
      const worker = plane.worker(params.script as string);
      return {
        id: worker.name,
        name: worker.name,
        created_on: worker.createdOn,
        updated_on: worker.modifiedOn,
        subdomain: worker.subdomain,
      };
    })
    .on("GET", "/accounts/:account/workers/scripts", ({ url }) =>
      paginate(
        url,
        Object.values(state.workers).map((w) => ({
          id: w.name,
          created_on: w.createdOn,
          modified_on: w.modifiedOn,
        })),
      ),
    )
    .on("PUT", scripts, async ({ params, request }) => {
      const version = await plane.upload(
        params.script as string,
        await parseWorkerUpload(request),
        true,
      );
      return {
        id: params.script,
        etag: version.id.replaceAll("-", ""),
        handlers: ["fetch"],
        deployment_id: version.id,
        startup_time_ms: 0,
        compatibility_date: version.compatibilityDate,
        compatibility_flags: version.compatibilityFlags,
      };
    })
    .on("DELETE", scripts, async ({ params }) => {
      plane.worker(params.script as string);
      delete state.workers[params.script as string];
      await plane.store.save();
      await plane.runtime.apply();
      return null;
    })
    // Versions and deployments.
    .on("POST", `${scripts}/versions`, async ({ params, request }) => {
      const version = await plane.upload(
        params.script as string,
        await parseWorkerUpload(request),
        false,
      );
      return { ...versionView(version), startup_time_ms: 0 };
    })
    .on("GET", `${scripts}/versions`, ({ params, url }) => {
      const items = [...plane.worker(params.script as string).versions].reverse().map(versionView);
      // `deployable=true` (wrangler's `versions deploy`) ignores pagination on the API too.
      if (url.searchParams.get("deployable") === "true") return { items };
      return paginate(url, items, (page) => ({ items: page }));
    })
    .on("GET", `${scripts}/versions/:version`, ({ params }) => {
      const version = plane
        .worker(params.script as string)
        .versions.find((v) => v.id === params.version);
      if (!version) {
        throw new ApiError(
          404,
          ErrorCode.resourceNotFound,
          `version ${params.version} does not exist for worker ${params.script}`,
        );
      }
      return versionView(version);
    })
    .on("GET", `${scripts}/deployments`, ({ params, url }) =>
      paginate(
        url,
        plane.worker(params.script as string).deployments.map(deploymentView),
        (page) => ({ deployments: page }),
      ),
    )
    .on("POST", `${scripts}/deployments`, async ({ params, request }) => {
      const body = await jsonBody(request, deploymentBody);
      const message = body.annotations["workers/message"];
      const deployment = await plane.deploy(params.script as string, {
        versions: body.versions,
        ...(message !== undefined && { message }),
      });
      return deploymentView(deployment);
    })
    // Settings wrangler sets on every deploy; they have no local effect but are kept.
    .on(
      "GET",
      `${scripts}/script-settings`,
      ({ params }) => plane.worker(params.script as string).scriptSettings,
    )
    .on("PATCH", `${scripts}/script-settings`, async ({ params, request }) => {
      const worker = plane.worker(params.script as string);
      worker.scriptSettings = {
        ...worker.scriptSettings,
        ...(await jsonBody(request, z.record(z.string(), z.unknown()))),
      };
      await plane.store.save();
      return worker.scriptSettings;
    })
    .on(
      "GET",
      `${scripts}/settings`,
      // Wrangler compares the bindings it may provision or inherit with these.
      ({ params }) => {
        const worker = plane.worker(params.script as string);
        const version = activeVersion(worker);
        return {
          logpush: false,
          tail_consumers: [],
          ...worker.scriptSettings,
          compatibility_date: version?.compatibilityDate,
          compatibility_flags: version?.compatibilityFlags ?? [],
          usage_model: "standard",
          bindings: version ? versionView(version).resources.bindings : [],
        };
      },
    )
    .on(
      "GET",
      `${scripts}/subdomain`,
      ({ params }) => plane.worker(params.script as string).subdomain,
    )
    .on("POST", `${scripts}/subdomain`, async ({ params, request }) => {
      const worker = plane.worker(params.script as string);
      const body = await jsonBody(
        request,
        z.object({ enabled: z.boolean(), previews_enabled: z.boolean().optional() }),
      );
      worker.subdomain = {
        enabled: body.enabled,
        previews_enabled: body.previews_enabled ?? body.enabled,
      };
      await plane.store.save();
      return worker.subdomain;
    })
    .on("GET", `${scripts}/schedules`, ({ params }) => ({
      schedules: plane.worker(params.script as string).schedules,
    }))
    .on("PUT", `${scripts}/schedules`, async ({ params, request }) => {
      const worker = plane.worker(params.script as string);
      const body = await jsonBody(request, z.array(z.object({ cron: z.string() })));
      const at = new Date().toISOString();
      worker.schedules = body.map(({ cron }) => ({ cron, created_on: at, modified_on: at }));
      await plane.store.save();
      return { schedules: worker.schedules };
    })
    .on("GET", `${scripts}/routes`, ({ url }) => paginate(url, []))
    .on("PUT", `${scripts}/routes`, () => [])
    .on("GET", "/accounts/:account/workers/scripts/:script/secrets", ({ params, url }) => {
      const version = activeVersion(plane.worker(params.script as string));
      return paginate(
        url,
        (version?.bindings ?? [])
          .filter((b) => b.type === "secret_text")
          .map((b) => ({ name: b.name, type: b.type })),
      );
    })
    .on("PUT", `${scripts}/secrets`, async ({ params, request }) => {
      const body = await jsonBody(
        request,
        z.object({ name: z.string().min(1), text: z.string(), type: z.string() }),
      );
      await plane.setSecret(params.script as string, body);
      return { name: body.name, type: "secret_text" };
    })
    .on("DELETE", `${scripts}/secrets/:secret`, async ({ params }) => {
      await plane.deleteSecret(params.script as string, params.secret as string);
      return null;
    })
    // Queues: wrangler looks producers and consumers up by name before and after the upload.
    .on("GET", "/accounts/:account/queues", ({ url }) => {
      const name = url.searchParams.get("name");
      const queues = Object.values(state.queues).filter(
        (q) => name === null || q.queue_name === name,
      );
      return paginate(url, queues.map(queueView));
    })
    .on("POST", "/accounts/:account/queues", async ({ request }) => {
      const body = await jsonBody(request, z.object({ queue_name: z.string().min(1) }));
      const queue = plane.ensureQueue(body.queue_name);
      await plane.store.save();
      return queueView(queue);
    })
    .on("GET", "/accounts/:account/queues/:queue", (context) => queueView(queueById(context)))
    .on("GET", "/accounts/:account/queues/:queue/consumers", (context) =>
      paginate(context.url, queueView(queueById(context)).consumers),
    )
    .on("POST", "/accounts/:account/queues/:queue/consumers", async (context) => {
      const queue = queueById(context);
      const body = await jsonBody(context.request, consumerBody);
      const scriptName = body.script_name ?? body.script;
      if (!scriptName)
        throw new ApiError(400, ErrorCode.badRequest, "a worker consumer needs script_name");
      queue.consumers = queue.consumers.filter((c) => c.script_name !== scriptName);
      const consumer = {
        consumer_id: randomUUID().replaceAll("-", ""),
        script_name: scriptName,
        type: "worker" as const,
        ...(body.dead_letter_queue && { dead_letter_queue: body.dead_letter_queue }),
        settings: body.settings,
        created_on: new Date().toISOString(),
      };
      queue.consumers.push(consumer);
      if (body.dead_letter_queue) plane.ensureQueue(body.dead_letter_queue);
      await plane.store.save();
      await plane.runtime.apply();
      return { ...consumer, queue_name: queue.queue_name, script: scriptName };
    })
    .on("PUT", "/accounts/:account/queues/:queue/consumers/:consumer", async (context) => {
      const queue = queueById(context);
      const consumer = queue.consumers.find((c) => c.consumer_id === context.params.consumer);
      if (!consumer) {
        throw new ApiError(
          404,
          ErrorCode.resourceNotFound,
          `consumer ${context.params.consumer} does not exist`,
        );
      }
      const body = await jsonBody(context.request, consumerBody);
      consumer.settings = body.settings;
      if (body.dead_letter_queue) {
        consumer.dead_letter_queue = body.dead_letter_queue;
        plane.ensureQueue(body.dead_letter_queue);
      } else {
        delete consumer.dead_letter_queue;
      }
      await plane.store.save();
      await plane.runtime.apply();
      return { ...consumer, queue_name: queue.queue_name, script: consumer.script_name };
    })
    .on("DELETE", "/accounts/:account/queues/:queue/consumers/:consumer", async (context) => {
      const queue = queueById(context);
      queue.consumers = queue.consumers.filter((c) => c.consumer_id !== context.params.consumer);
      await plane.store.save();
      await plane.runtime.apply();
      return null;
    })
    // D1: lookups by id or name, and queries (`wrangler d1 execute/migrations apply --remote`).
    .on("GET", "/accounts/:account/d1/database", ({ url }) => {
      const name = url.searchParams.get("name");
      return paginate(
        url,
        Object.values(state.databases)
          .filter((db) => name === null || db.name === name)
          .map(databaseView),
      );
    })
    .on("POST", "/accounts/:account/d1/database", async ({ request }) => {
      const body = await jsonBody(request, z.object({ name: z.string().min(1) }));
      const database = plane.ensureDatabase(randomUUID(), body.name);
      await plane.store.save();
      return databaseView(database);
    })
    .on("GET", "/accounts/:account/d1/database/:database", ({ params }) =>
      databaseView(databaseById(params.database as string)),
    )
    .on("POST", "/accounts/:account/d1/database/:database/query", async ({ params, request }) => {
      const body = await jsonBody(request, d1QueryBody);
      return runD1(params.database as string, body.sql, body.params);
    });
  // Workers Observability: what each version served, for canary analysis.
  router.on(
    "POST",
    "/accounts/:account/workers/observability/telemetry/query",
    async ({ request }) =>
      answerTelemetryQuery(await jsonBody(request, z.unknown()), state.accountId, invocations),
  );
  storageRoutes(router, plane);
  return router;
}

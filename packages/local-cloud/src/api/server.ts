import { randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerAnalyticsQuery } from "../analytics/analytics-api.js";
import { InvocationLog } from "../analytics/invocation-log.js";
import { WorkerRuntime } from "../deployments/runtime.js";
import { TrafficSplitter } from "../deployments/traffic-split.js";
import { WorkerProxies } from "../deployments/worker-proxy.js";
import { activeVersion, CloudStore } from "../storage/store.js";
import { ControlPlane } from "../workers/control-plane.js";
import { apiRoutes } from "./api-routes.js";
import { ApiError, ErrorCode, failure, ok } from "./envelope.js";
import { answerWithFault, FaultInjector, faultsPath } from "./faults.js";
import { PagedResult } from "./pagination.js";

/** The account every local deploy targets (wrangler needs one; any 32-hex id would do). */
export const localAccountId = "10ca1c10d0000000000000000000c10d";

export const apiPrefix = "/client/v4";
export const statusPath = "/__local-cloud/status";

export interface LocalCloudServerOptions {
  /** Where versions, deployments and D1 data live (e.g. <repo>/.local-cloud/data). */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Seeds the random choice of version in gradual deployments (default: a random seed). */
  splitSeed?: number;
  /** Where the one line per API call goes; stdout by default (the detached process's log file). */
  log?: (line: string) => void;
  /** Faults to inject into API answers (see faults.ts); a fresh, empty one by default. */
  faults?: FaultInjector;
  /**
   * Called on `POST /__local-cloud/restart` (after the answer is sent): the detached process
   * restarts the server on the same port and state, as a crash and restart would.
   */
  onRestart?: () => void;
}

export const restartPath = "/__local-cloud/restart";

export interface WorkerStatus {
  name: string;
  url: string | undefined;
  activeVersionId: string | undefined;
  versions: number;
  deployedOn: string | undefined;
}

export interface LocalCloudServer {
  port: number;
  apiBaseUrl: string;
  accountId: string;
  workerUrl(name: string): string | undefined;
  workers(): WorkerStatus[];
  close(): Promise<void>;
}

async function toRequest(incoming: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [key, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD" && chunks.length > 0;
  return new Request(new URL(incoming.url ?? "/", origin), {
    method: incoming.method ?? "GET",
    headers,
    ...(hasBody && { body: Buffer.concat(chunks) }),
  });
}

function send(outgoing: ServerResponse, status: number, body: unknown): void {
  outgoing.writeHead(status, { "content-type": "application/json" });
  outgoing.end(JSON.stringify(body));
}

/** Starts the control plane in this process: API server, workerd with every active version, worker ports. */
export async function startLocalCloudServer(
  options: LocalCloudServerOptions,
): Promise<LocalCloudServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const faults = options.faults ?? new FaultInjector();
  const store = await CloudStore.open(options.dataDir, localAccountId);
  const runtime = new WorkerRuntime(store);
  const plane = new ControlPlane(store, runtime);
  const invocations = new InvocationLog();
  const proxies = new WorkerProxies(
    store,
    runtime,
    new TrafficSplitter(options.splitSeed ?? randomInt(2 ** 32)),
    invocations,
  );
  const router = apiRoutes(plane, invocations);
  await runtime.apply();
  await proxies.sync();

  const workers = (): WorkerStatus[] =>
    Object.values(store.state.workers).map((worker) => ({
      name: worker.name,
      url: proxies.url(worker.name),
      activeVersionId: activeVersion(worker)?.id,
      versions: worker.versions.length,
      deployedOn: worker.deployments[0]?.createdOn,
    }));

  let origin = "";
  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: Error) =>
      send(outgoing, 500, failure(ErrorCode.internal, `local control plane: ${error.message}`)),
    );
  });

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const method = incoming.method ?? "GET";
    const path = new URL(incoming.url ?? "/", "http://local").pathname;
    if (path === faultsPath) {
      const answer = await faults.admin(method, async () =>
        (await toRequest(incoming, origin)).text(),
      );
      send(outgoing, answer.status, answer.body);
      return;
    }
    if (path === restartPath && method === "POST" && options.onRestart) {
      send(outgoing, 202, ok(null));
      outgoing.once("finish", options.onRestart);
      return;
    }
    const fault = path.startsWith(`${apiPrefix}/`)
      ? faults.take(method, path.slice(apiPrefix.length))
      : undefined;
    if (fault) {
      log(
        `${new Date().toISOString()} ${method} ${path} -> injected ${fault.hang ? "hang" : fault.status}`,
      );
      answerWithFault(fault, incoming, outgoing);
      return;
    }
    const request = await toRequest(incoming, origin);
    const url = new URL(request.url);
    if (url.pathname === statusPath) {
      send(outgoing, 200, {
        accountId: store.state.accountId,
        apiBaseUrl: `${origin}${apiPrefix}`,
        pid: process.pid,
        workers: workers(),
      });
      return;
    }
    const scheduled = url.pathname.match(/^\/__local-cloud\/workers\/([^/]+)\/scheduled$/);
    if (scheduled && request.method === "POST") {
      // Cron triggers are stored but not run on a clock locally: this runs one on demand.
      const cron = url.searchParams.get("cron") ?? "";
      const name = decodeURIComponent(scheduled[1] as string);
      const worker = store.state.workers[name];
      const versionId = worker ? activeVersion(worker)?.id : undefined;
      const datetime = Date.now();
      const started = performance.now();
      // Recorded like Cloudflare's cron invocations, so the telemetry shows each version's runs.
      const record = (status: "success" | "scriptThrewException") => {
        if (versionId === undefined) return;
        invocations.record({
          scriptName: name,
          scriptVersion: versionId,
          eventType: "scheduled",
          datetime,
          wallTimeUs: Math.round((performance.now() - started) * 1000),
          status,
        });
      };
      try {
        const result = await runtime.scheduled(name, cron);
        record("success");
        send(outgoing, 200, ok(result));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === ErrorCode.scheduledFailed) record("scriptThrewException");
        send(outgoing, error.status, failure(error.code, error.message));
      }
      return;
    }
    const started = performance.now();
    let status = 200;
    let body: unknown;
    try {
      if (!url.pathname.startsWith(`${apiPrefix}/`)) {
        throw new ApiError(
          404,
          ErrorCode.routeNotImplemented,
          `local control plane: ${url.pathname} is outside the API base ${apiPrefix}`,
        );
      }
      // Any token will do locally, but like the real API a call without one is refused.
      if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
        throw new ApiError(
          403,
          ErrorCode.authentication,
          "Authentication error: send Authorization: Bearer <token>",
        );
      }
      const path = url.pathname.slice(apiPrefix.length);
      if (path === "/graphql" && request.method === "POST") {
        // The GraphQL Analytics API answers { data, errors }, not the v4 envelope.
        body = await answerAnalyticsQuery(
          await request.json().catch(() => undefined),
          store.state.accountId,
          invocations,
        );
      } else {
        const { handler, params } = router.match(request.method, path);
        if (params.account !== undefined && params.account !== store.state.accountId) {
          throw new ApiError(
            403,
            ErrorCode.accountNotFound,
            `local control plane: unknown account ${params.account}; set CLOUDFLARE_ACCOUNT_ID=${store.state.accountId}`,
          );
        }
        const result = await handler({ params, url, request });
        body = result instanceof PagedResult ? ok(result.result, result.resultInfo) : ok(result);
        await proxies.sync();
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      body = failure(error.code, error.message, error.chain);
      // Unimplemented routes are the gaps to close: make them stand out in the log.
      if (error.code === ErrorCode.routeNotImplemented) log(`UNKNOWN ROUTE ${error.message}`);
    }
    // One line per call, never bodies: uploads carry secrets.
    log(
      `${new Date().toISOString()} ${request.method} ${url.pathname}${url.search} -> ${status} (${Math.round(performance.now() - started)} ms)`,
    );
    send(outgoing, status, body);
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () =>
      resolve((server.address() as AddressInfo).port),
    );
  }).catch(async (error: unknown) => {
    // workerd and the worker ports are already up: a caller that cannot get the control plane
    // (a taken --port) must not be left holding them.
    await proxies.close();
    await runtime.dispose();
    throw error;
  });
  origin = `http://127.0.0.1:${port}`;

  return {
    port,
    apiBaseUrl: `${origin}${apiPrefix}`,
    accountId: store.state.accountId,
    workerUrl: (name) => proxies.url(name),
    workers,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proxies.close();
      await runtime.dispose();
    },
  };
}

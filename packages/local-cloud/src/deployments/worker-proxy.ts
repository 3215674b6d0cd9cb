import { createServer, request as httpRequest, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { InvocationLog, InvocationStatus } from "../analytics/invocation-log.js";
import type { CloudStore } from "../storage/store.js";
import { exceptionHeader, type WorkerRuntime } from "./runtime.js";
import type { TrafficSplitter } from "./traffic-split.js";
import { parseVersionOverrides, versionOverridesHeader } from "./version-overrides.js";

/**
 * One loopback port per worker, stable across deploys, rollbacks and restarts (the port is kept
 * in the store). Each request goes to one version of the worker's deployment, chosen by its
 * percentages or by a version override, and is forwarded to that version's workerd socket, which
 * moves whenever the runtime restarts; each holds a runtime lease, so a swap neither cuts it off
 * nor is seen half-done. Every request is recorded in the invocation log for the analytics API.
 */
export class WorkerProxies {
  private readonly servers = new Map<string, Server>();

  constructor(
    private readonly store: CloudStore,
    private readonly runtime: WorkerRuntime,
    private readonly splitter: TrafficSplitter,
    private readonly invocations: InvocationLog,
  ) {}

  url(workerName: string): string | undefined {
    const port = this.store.state.workers[workerName]?.port;
    return port !== undefined && this.servers.has(workerName)
      ? `http://127.0.0.1:${port}`
      : undefined;
  }

  /** Opens a port for every worker that has none yet; returns true when a port was (re)assigned. */
  async sync(): Promise<boolean> {
    let changed = false;
    for (const worker of Object.values(this.store.state.workers)) {
      if (this.servers.has(worker.name)) continue;
      const server = this.serve(worker.name);
      const port = await listenAgain(server, worker.port).catch(() => listen(server, 0));
      this.servers.set(worker.name, server);
      if (port !== worker.port) {
        worker.port = port;
        changed = true;
      }
    }
    if (changed) await this.store.save();
    return changed;
  }

  private serve(workerName: string): Server {
    return createServer((incoming, outgoing) => {
      const overrides = incoming.headers[versionOverridesHeader];
      const override =
        typeof overrides === "string"
          ? parseVersionOverrides(overrides)?.get(workerName)
          : undefined;
      // A request without a body can be sent again: a connection the runtime dropped while it
      // was being replaced (a swap restarts workerd) is retried once instead of surfacing as a
      // 502 that Cloudflare, which never drops requests on a deploy, would not give.
      const replayable = incoming.method === "GET" || incoming.method === "HEAD";
      let body = Buffer.alloc(0);
      // The body goes on whole, with its length: not as chunks.
      const forwardedHeaders = { ...incoming.headers };
      delete forwardedHeaders["transfer-encoding"];
      const attempt = (retriesLeft: number): Promise<void> =>
        this.runtime
          .lease(workerName, (deployment) => this.splitter.choose(workerName, deployment, override))
          .then((lease) => {
            if (!lease) {
              sendJson(outgoing, 503, {
                error: {
                  code: "no_active_version",
                  message: `worker ${workerName} has no active deployment`,
                },
              });
              return;
            }
            // The client may have given up while waiting for a swap to finish.
            if (outgoing.closed) {
              lease.release();
              return;
            }
            const datetime = Date.now();
            const started = performance.now();
            let recorded = false;
            const record = (status: InvocationStatus, statusCode?: number) => {
              if (recorded) return;
              recorded = true;
              this.invocations.record({
                scriptName: workerName,
                scriptVersion: lease.versionId,
                datetime,
                wallTimeUs: Math.round((performance.now() - started) * 1000),
                status,
                ...(statusCode === undefined ? {} : { statusCode }),
              });
            };
            // After a complete response the status is already recorded; before, the client left.
            outgoing.once("close", () => {
              lease.release();
              record("clientDisconnected");
            });
            const forward = httpRequest(
              lease.url,
              {
                method: incoming.method,
                path: incoming.url,
                headers: {
                  ...forwardedHeaders,
                  host: lease.url.host,
                  "content-length": String(body.length),
                },
                // A fresh connection each time: Node's default agent keeps sockets alive, and one
                // that workerd has just closed is reset when reused (a 502 for a good request).
                agent: false,
              },
              (response) => {
                const threw = response.headers[exceptionHeader] !== undefined;
                delete response.headers[exceptionHeader];
                outgoing.writeHead(response.statusCode ?? 502, response.headers);
                response.once("end", () =>
                  record(threw ? "scriptThrewException" : "success", response.statusCode),
                );
                response.pipe(outgoing);
              },
            );
            forward.on("error", (error) => {
              if (!outgoing.headersSent && replayable && retriesLeft > 0) {
                // This attempt is not an invocation; the retry records its own.
                recorded = true;
                lease.release();
                setTimeout(() => attempt(retriesLeft - 1), 250);
                return;
              }
              record("internalError");
              if (outgoing.headersSent) outgoing.destroy(error);
              else
                sendJson(outgoing, 502, { error: { code: "bad_gateway", message: error.message } });
            });
            // The whole request in one write: a worker that answers before reading the body (a
            // 401 for a POST) must not have workerd reset a connection still being written to.
            forward.end(body);
          })
          .catch((error: Error) =>
            sendJson(outgoing, 502, { error: { code: "bad_gateway", message: error.message } }),
          );
      // Requests here are small (API calls, smoke tests): read the body whole before forwarding.
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.once("end", () => {
        body = Buffer.concat(chunks);
        attempt(1);
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.clear();
  }
}

function sendJson(outgoing: ServerResponse, status: number, body: unknown): void {
  outgoing.writeHead(status, { "content-type": "application/json" });
  outgoing.end(JSON.stringify(body));
}

/**
 * A worker's port as it was before a restart. It can be briefly held by someone else (a short
 * outgoing connection given it as its ephemeral port, which happened on a busy CI machine), so
 * a few tries a moment apart come before giving the worker a new URL.
 */
async function listenAgain(server: Server, port: number | undefined): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listen(server, port);
    } catch (error) {
      if (port === undefined || attempt === portRetries) throw error;
      await sleep(portRetryMs);
    }
  }
}

const portRetries = 20;
const portRetryMs = 100;

function listen(server: Server, port: number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    if (port === undefined) {
      reject(new Error("no port yet"));
      return;
    }
    // Each attempt's listeners go when it ends: a port retried 20 times must not leave 20
    // `listening` callbacks on the server (and Node's MaxListenersExceededWarning).
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
}

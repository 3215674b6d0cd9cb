import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorkerRuntime } from "./runtime.js";
import type { CloudStore } from "./store.js";

/**
 * One loopback port per worker, stable across deploys, rollbacks and restarts (the port is kept
 * in the store). Requests are forwarded to the worker's workerd socket, which moves whenever the
 * runtime restarts; waiting on the runtime queue means a request never sees a half-swapped one.
 */
export class WorkerProxies {
  private readonly servers = new Map<string, Server>();

  constructor(
    private readonly store: CloudStore,
    private readonly runtime: WorkerRuntime,
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
      const port = await listen(server, worker.port).catch(() => listen(server, 0));
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
      this.runtime
        .directUrl(workerName)
        .then((target) => {
          if (!target) {
            outgoing.writeHead(503, { "content-type": "application/json" });
            outgoing.end(
              JSON.stringify({
                error: {
                  code: "no_active_version",
                  message: `worker ${workerName} has no active deployment`,
                },
              }),
            );
            return;
          }
          const forward = httpRequest(
            target,
            {
              method: incoming.method,
              path: incoming.url,
              headers: { ...incoming.headers, host: target.host },
            },
            (response) => {
              outgoing.writeHead(response.statusCode ?? 502, response.headers);
              response.pipe(outgoing);
            },
          );
          forward.on("error", (error) => {
            if (!outgoing.headersSent)
              outgoing.writeHead(502, { "content-type": "application/json" });
            outgoing.end(
              JSON.stringify({ error: { code: "bad_gateway", message: error.message } }),
            );
          });
          incoming.pipe(forward);
        })
        .catch((error: Error) => {
          outgoing.writeHead(502, { "content-type": "application/json" });
          outgoing.end(JSON.stringify({ error: { code: "bad_gateway", message: error.message } }));
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

function listen(server: Server, port: number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    if (port === undefined) {
      reject(new Error("no port yet"));
      return;
    }
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

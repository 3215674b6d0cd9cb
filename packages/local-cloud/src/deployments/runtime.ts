import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Log, LogLevel, Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { CloudState, DeploymentRecord, VersionRecord } from "../storage/state-types.js";
import { activeVersion, type CloudStore } from "../storage/store.js";
import { toWorkerOptions } from "../workers/worker-options.js";

export interface WorkerLease {
  url: URL;
  /** The version the request goes to. */
  versionId: string;
  release(): void;
}

/** Picks the version of a deployment that one request goes to. */
export type VersionChooser = (deployment: DeploymentRecord) => string;

/** Set by a front worker on the 500 it answers for an exception of the version behind it. */
export const exceptionHeader = "x-local-cloud-exception";

const drainLimitMs = 15_000;

/**
 * How long a swap waits for others before it reads the state. A wave's parallel deploys or
 * rollbacks reach the API as separate requests a few milliseconds apart; without the wait the
 * first starts a restart alone and the rest queue a second one behind it, which doubled the
 * time a wave of rollbacks took. A restart costs 1 to 3 s; this costs each swap 0.1 s.
 */
const gatherMs = 100;

/** Miniflare's error when workerd could not listen on a port it was given. */
function isAddressInUse(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "ERR_ADDRESS_IN_USE";
}

/** Internal worker that holds a binding to every known D1 database, for the D1 query API. */
const d1AdminWorker = "__local-cloud-d1";

function d1BindingName(databaseId: string): string {
  return `D1_${databaseId.replace(/[^a-zA-Z0-9]/g, "_")}`;
}

function sharedOptions(store: CloudStore | undefined, stderr: (text: string) => void) {
  return {
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    ...(store && {
      d1Persist: store.d1PersistDir,
      kvPersist: join(store.dataDir, "kv"),
      r2Persist: join(store.dataDir, "r2"),
      durableObjectsPersist: join(store.dataDir, "do"),
    }),
    handleRuntimeStdio(stdout: Readable, stderrStream: Readable) {
      stdout.on("data", (chunk: Buffer) => process.stdout.write(chunk));
      stderrStream.on("data", (chunk: Buffer) => stderr(chunk.toString()));
    },
  } satisfies Partial<MiniflareOptions>;
}

/**
 * Every served version sits behind its own front worker, which owns the socket the proxy
 * forwards to. It catches what the version throws (a service-binding fetch rejects with the
 * callee's exception), so the proxy tells an invocation that threw, an error on Cloudflare,
 * from a 5xx response the code returned, which Cloudflare counts as a success.
 */
function frontWorker(workerName: string, versionId: string, runtimeName: string): WorkerOptions {
  return {
    name: frontName(versionId),
    modules: true,
    compatibilityDate: "2025-06-01",
    serviceBindings: { VERSION_WORKER: runtimeName },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    script: `export default {
  async fetch(request, env) {
    try {
      return await env.VERSION_WORKER.fetch(request);
    } catch (error) {
      // workerd no longer logs what a caught exception was; server.log still should.
      console.error(${JSON.stringify(`${workerName} version ${versionId}: uncaught`)}, error);
      return new Response("Internal Server Error", { status: 500, headers: { "${exceptionHeader}": "1" } });
    }
  },
};`,
  };
}

function frontName(versionId: string): string {
  return `__local-cloud-front@${versionId}`;
}

function stubWorker(name: string): WorkerOptions {
  return {
    name,
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 503 }); } };",
  };
}

/**
 * Runs the active version of every worker in one workerd (Miniflare), and proves that a
 * candidate version starts before it is accepted. Every change goes through one queue, so a
 * request for a worker URL waits for an in-flight swap instead of hitting a restarting runtime.
 */
export class WorkerRuntime {
  private miniflare: Miniflare | undefined;
  /** The deployment workerd runs for each worker: requests follow it, not the newer state. */
  private served = new Map<string, DeploymentRecord>();
  private pending: Promise<unknown> = Promise.resolve();
  private waitingApply: Promise<void> | undefined;
  private openLeases = 0;
  private drained: (() => void)[] = [];

  /** `newMiniflare` makes workerd run `options`; a test can hand in a Miniflare that fails on cue. */
  constructor(
    private readonly store: CloudStore,
    private readonly newMiniflare: (options: MiniflareOptions) => Miniflare = (options) =>
      new Miniflare(options),
  ) {}

  private async start(options: MiniflareOptions): Promise<Miniflare> {
    const miniflare = this.newMiniflare(options);
    try {
      await miniflare.ready;
    } catch (error) {
      await miniflare.dispose().catch(() => undefined);
      throw error;
    }
    return miniflare;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.pending.then(task, task);
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Throws an API error carrying workerd's message when the version fails at start-up. */
  async validate(workerName: string, version: VersionRecord): Promise<void> {
    let stderr = "";
    const candidate = toWorkerOptions({
      workerName,
      runtimeName: workerName,
      version,
      versionDir: this.store.versionDir(version.id),
      state: this.store.state,
      consumesQueues: false,
    });
    // Bound workers are replaced by stubs: only the candidate's own start-up is on trial.
    const serviceBindings = Object.fromEntries(
      Object.entries(candidate.serviceBindings ?? {}).map(([binding, target]) => [
        binding,
        typeof target === "string" ? target : String((target as { name: string }).name),
      ]),
    );
    const stubs = [...new Set(Object.values(serviceBindings))]
      .filter((target) => target !== workerName)
      .map(stubWorker);
    // Objects of other workers are not started either: a stub has no class to host them.
    const durableObjects = Object.fromEntries(
      Object.entries(candidate.durableObjects ?? {}).filter(
        ([, target]) =>
          typeof target === "string" ||
          (target as { scriptName?: string }).scriptName === undefined,
      ),
    );
    const probe = new Miniflare({
      ...sharedOptions(undefined, (text) => {
        stderr += text;
      }),
      workers: [{ ...candidate, serviceBindings, durableObjects }, ...stubs],
    });
    try {
      await probe.ready;
    } catch (error) {
      const detail = stderr.trim() || (error as Error).message;
      throw new ApiError(
        400,
        ErrorCode.startupFailed,
        `Uncaught error while starting worker "${workerName}" version ${version.id}: ${detail.slice(0, 2000)}`,
      );
    } finally {
      await probe.dispose().catch(() => undefined);
    }
  }

  /**
   * Every version of each worker's newest deployment runs, 0% ones too (a version override can
   * reach them). The largest share keeps the worker's own name, so service bindings from other
   * workers, its queue consumers and its cron reach that one; the others run as
   * `<worker>@<version id>`.
   */
  private options(state: CloudState): {
    options: MiniflareOptions;
    served: Map<string, DeploymentRecord>;
  } {
    const workers: WorkerOptions[] = [];
    const served = new Map<string, DeploymentRecord>();
    for (const worker of Object.values(state.workers)) {
      const deployment = worker.deployments[0];
      const primary = activeVersion(worker);
      if (!deployment || !primary) continue;
      served.set(worker.name, deployment);
      for (const { version_id } of deployment.versions) {
        const version = worker.versions.find((v) => v.id === version_id) as VersionRecord;
        const runtimeName =
          version.id === primary.id ? worker.name : `${worker.name}@${version.id}`;
        workers.push(
          toWorkerOptions({
            workerName: worker.name,
            runtimeName,
            version,
            versionDir: this.store.versionDir(version.id),
            state,
            consumesQueues: version.id === primary.id,
          }),
          frontWorker(worker.name, version.id, runtimeName),
        );
      }
    }
    workers.push({
      name: d1AdminWorker,
      modules: true,
      script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
      d1Databases: Object.fromEntries(
        Object.keys(state.databases).map((id) => [d1BindingName(id), id]),
      ),
    });
    return {
      options: {
        ...sharedOptions(this.store, (text) => process.stderr.write(text)),
        workers,
      } as MiniflareOptions,
      served,
    };
  }

  /**
   * Makes workerd serve what the store says is active. Calls made while an earlier one is still
   * waiting (queued, or in its first `gatherMs`) share it: it reads the state only then, so
   * parallel deploys and rollbacks of a wave cost one workerd restart instead of one each.
   */
  apply(): Promise<void> {
    if (this.waitingApply) return this.waitingApply;
    const run = this.enqueue(async () => {
      await sleep(gatherMs);
      this.waitingApply = undefined;
      const { options, served } = this.options(this.store.state);
      if (this.miniflare) {
        await this.drain();
        try {
          await this.miniflare.setOptions(options);
        } catch (error) {
          if (!isAddressInUse(error)) throw error;
          // Miniflare restarts workerd on the ports it had, and another process took one of
          // them in the gap: a new runtime on fresh ports serves the same state instead.
          // Requests follow, since each lease asks for its worker's socket anew.
          await this.miniflare.dispose().catch(() => undefined);
          // Should the fresh start fail too, the next swap starts one instead of reusing this.
          this.miniflare = undefined;
          this.miniflare = await this.start(options);
        }
      } else {
        this.miniflare = await this.start(options);
      }
      this.served = served;
    });
    this.waitingApply = run;
    return run;
  }

  /**
   * The workerd socket of the version `choose` picks from the deployment that serves, once any
   * pending swap has finished. The caller holds a lease until its request completes: a swap
   * first waits for open leases, so requests that were let through are never cut off by the
   * restart.
   */
  lease(workerName: string, choose: VersionChooser): Promise<WorkerLease | undefined> {
    return this.enqueue(async () => {
      const deployment = this.served.get(workerName);
      if (!this.miniflare || !deployment) return undefined;
      const versionId = choose(deployment);
      const url = await this.miniflare.unsafeGetDirectURL(frontName(versionId));
      this.openLeases++;
      let released = false;
      return {
        url,
        versionId,
        release: () => {
          if (released) return;
          released = true;
          this.openLeases--;
          if (this.openLeases === 0) for (const resolve of this.drained.splice(0)) resolve();
        },
      };
    });
  }

  /** Waits for open leases, at most `drainLimitMs` (a hung request must not block deploys). */
  private async drain(): Promise<void> {
    if (this.openLeases === 0) return;
    const limit = new AbortController();
    await Promise.race([
      new Promise<void>((resolve) => this.drained.push(resolve)),
      sleep(drainLimitMs, undefined, { signal: limit.signal }).catch(() => undefined),
    ]);
    limit.abort();
  }

  /** Runs the active version's `scheduled` handler once, as its cron trigger would. */
  scheduled(workerName: string, cron: string) {
    return this.enqueue(async () => {
      if (!this.miniflare || !this.served.has(workerName)) {
        throw new ApiError(
          404,
          ErrorCode.workerNotFound,
          `worker ${workerName} has no active version`,
        );
      }
      const fetcher = await this.miniflare.getWorker(workerName);
      const result = await fetcher.scheduled({ cron, scheduledTime: new Date() });
      if (result.outcome !== "ok") {
        throw new ApiError(
          500,
          ErrorCode.scheduledFailed,
          `scheduled handler of ${workerName} for "${cron}" ended with outcome ${result.outcome}`,
        );
      }
      return result;
    });
  }

  /** Runs one D1 query between swaps, so a restart never cuts it off. */
  d1Query(databaseId: string, sql: string, params: unknown[]) {
    return this.enqueue(async () => {
      if (!this.miniflare) throw new Error("the runtime has not started");
      const d1 = await this.miniflare.getD1Database(d1BindingName(databaseId), d1AdminWorker);
      const statement = d1.prepare(sql);
      return (params.length > 0 ? statement.bind(...params) : statement).all();
    });
  }

  dispose(): Promise<void> {
    return this.enqueue(async () => {
      await this.miniflare?.dispose();
      this.miniflare = undefined;
    });
  }
}

import {
  type AppliedMigrations,
  type Clock,
  DEFAULT_HEALTH_POLICY,
  DeployCommandError,
  type DeployContext,
  emptyTraffic,
  type HttpClient,
  MigrationFailedError,
  NotStartedError,
  type RolloutTelemetry,
  type ScheduledRuns,
  type ServiceInfo,
  type VersionShare,
  type VersionTraffic,
  type WorkerDeployer,
} from "#core";

/**
 * In-memory Cloudflare for the orchestrator's policy tests: versions per Worker, which one
 * serves, and faults to inject. The real control plane is exercised in the other test files.
 */
export class FakeCloud {
  readonly history = new Map<string, string[]>();
  readonly events: string[] = [];
  /** Services whose new versions answer /health with 500. */
  readonly unhealthy = new Set<string>();
  readonly failDeploy = new Set<string>();
  readonly failRollback = new Set<string>();
  /** What each service's migrations do; a `failed` entry makes the step throw. */
  readonly migrations = new Map<string, AppliedMigrations[]>();
  /** Called as each deploy prepares (what the host does before wrangler starts). */
  onPrepare: (service: string) => void = () => undefined;
  /** Called as each deploy starts (e.g. to interrupt the run right then). */
  onDeploy: (service: string) => void = () => undefined;
  /** The current split of services deployed gradually (until a rollback ends it). */
  readonly splits = new Map<string, VersionShare[]>();
  /**
   * What the telemetry says about a version between `since` and `until`; unknown versions
   * served nothing.
   */
  metricsOf: (
    versionId: string,
    since: Date,
    until: Date,
  ) => VersionTraffic | Promise<VersionTraffic> = (versionId) => emptyTraffic(versionId);
  /** Each Worker's cron triggers. */
  readonly crons = new Map<string, string[]>();
  /** Scheduled invocations of a version, as the telemetry reports them. */
  scheduledOf: (versionId: string) => ScheduledRuns = () => ({ ok: 0, failed: 0 });
  /** Every traffic read of the telemetry, per Worker (a poll reads once). */
  readonly windows: { worker: string; since: Date; until: Date }[] = [];
  private counter = 0;

  seed(service: string, version: string): void {
    this.history.set(service, [version]);
  }

  serving(service: string): string | undefined {
    return this.history.get(service)?.at(-1);
  }

  deployer(): WorkerDeployer {
    return {
      deploymentHistory: async (service) => [...(this.history.get(service.name) ?? [])],
      applyMigrations: async (service) => {
        const results = this.migrations.get(service.name) ?? [];
        const failed = results.find((result) => result.failed !== undefined);
        if (failed) {
          throw new MigrationFailedError(
            `wrangler d1 migrations apply ${failed.database}`,
            `${failed.failed} failed: near ";": syntax error`,
            results,
          );
        }
        return results;
      },
      deploy: async (service, _target, interrupt) => {
        this.onPrepare(service.name);
        if (interrupt?.aborted) throw new NotStartedError("wrangler deploy");
        this.events.push(`deploy ${service.name}`);
        this.onDeploy(service.name);
        if (this.failDeploy.has(service.name)) {
          throw new DeployCommandError("wrangler deploy", "Uncaught Error at worker startup");
        }
        const version = `${service.name}-v${++this.counter}`;
        this.history.set(service.name, [...(this.history.get(service.name) ?? []), version]);
        return { versionId: version, urls: [] };
      },
      uploadVersion: async (service, _target, interrupt) => {
        this.onPrepare(service.name);
        if (interrupt?.aborted) throw new NotStartedError("wrangler versions upload");
        this.events.push(`upload ${service.name}`);
        if (this.failDeploy.has(service.name)) {
          throw new DeployCommandError(
            "wrangler versions upload",
            "Uncaught Error at worker startup",
          );
        }
        return { versionId: `${service.name}-v${++this.counter}`, urls: [] };
      },
      deployVersions: async (service, _target, split) => {
        this.events.push(
          `split ${service.name} ${split.map((share) => `${share.versionId}@${share.percentage}`).join(" ")}`,
        );
        this.splits.set(service.name, split);
        // The deployment's main version, as `deployments list` reports it.
        const main = [...split].sort((a, b) => b.percentage - a.percentage)[0]?.versionId;
        if (main !== undefined) {
          this.history.set(service.name, [...(this.history.get(service.name) ?? []), main]);
        }
      },
      rollback: async (service, _target, versionId) => {
        this.events.push(`rollback ${service.name}`);
        if (this.failRollback.has(service.name)) {
          throw new DeployCommandError("wrangler rollback", "API error 10000");
        }
        this.history.get(service.name)?.push(versionId);
        this.splits.delete(service.name);
      },
      manualRollbackCommand: (service, target, versionId) =>
        `pnpm run pipeline rollback --service ${service.name} --env ${target} --to ${versionId}`,
    };
  }

  metrics(): RolloutTelemetry {
    return {
      traffic: async (worker, versionIds, since, until) => {
        this.windows.push({ worker, since, until });
        return Promise.all(versionIds.map((id) => this.metricsOf(id, since, until)));
      },
      scheduledRuns: async (_worker, versionId) => this.scheduledOf(versionId),
      schedules: async (worker) => this.crons.get(worker) ?? [],
    };
  }

  http(): HttpClient {
    return {
      request: async ({ url, headers }) => {
        const service = new URL(url).hostname.split(".")[0] ?? "";
        // A version override reaches its version while it is in the current split.
        const override = /="([^"]+)"/.exec(
          headers["Cloudflare-Workers-Version-Overrides"] ?? "",
        )?.[1];
        const inSplit = this.splits.get(service)?.some((share) => share.versionId === override);
        const version = inSplit ? override : this.serving(service);
        const broken = this.unhealthy.has(service) && !(version ?? "").startsWith("old-");
        return {
          status: broken ? 500 : 200,
          headers: { "access-control-allow-origin": "*" },
          body: JSON.stringify({ service, version, status: broken ? "degraded" : "ok" }),
        };
      },
    };
  }
}

/** Virtual time: sleeping advances the clock at once, so backoff tests take no real time. */
export function virtualClock(): Clock & { slept: number[] } {
  let now = Date.parse("2026-11-26T12:00:00Z");
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

export function fakeContext(cloud: FakeCloud, clock: Clock = virtualClock()): DeployContext {
  return {
    target: "production",
    deployer: cloud.deployer(),
    http: cloud.http(),
    endpoints: { baseUrl: async (service) => `http://${service.name}.test` },
    clock,
    health: { ...DEFAULT_HEALTH_POLICY, timeoutMs: 3_000 },
    progress: () => undefined,
  };
}

export function service(name: string, bindings: string[] = []): ServiceInfo {
  return {
    name,
    dir: `services/${name}`,
    packageName: `@workers/${name}`,
    wranglerFile: `services/${name}/wrangler.jsonc`,
    targets: ["@local", "staging", "production"],
    leftOut: {},
    workspaceDependencies: bindings,
    workerNames: { "@local": name, staging: `${name}-staging`, production: `${name}-production` },
    bindings: { "@local": bindings, staging: bindings, production: bindings },
    externalBindings: { "@local": [], staging: [], production: [] },
    resources: { "@local": [], staging: [], production: [] },
    healthPath: "/health",
    healthContract: "version",
    scripts: { test: "vitest run --coverage" },
    hasTsconfig: true,
  };
}

import type { DeployTarget, ServiceInfo } from "../services/catalog.js";

/**
 * The deploy orchestrator reaches Cloudflare, HTTP and time only through these ports, so the
 * host (execa + fetch) and the Dagger module (containers) run the same policy, and unit tests
 * can drive it with fakes.
 */

export interface DeployedVersion {
  versionId: string;
  /** URLs wrangler reported for the deployment (workers.dev and routes); may be empty. */
  urls: string[];
}

export interface WorkerDeployer {
  /**
   * The version each deployment served (the one with the largest traffic share), oldest first,
   * as `wrangler deployments list --json` lists them (on the host, the API request it makes);
   * empty when the Worker has never been deployed.
   */
  deploymentHistory(service: ServiceInfo, target: DeployTarget): Promise<string[]>;
  /**
   * `wrangler d1 migrations apply --remote` for each of the service's D1 databases that has
   * migrations, before the code that may need them goes live. Throws a MigrationFailedError
   * (with what was applied before the failure) when one fails. Nothing rolls D1 back.
   *
   * Both this and `deploy` check `interrupt` again just before wrangler starts (they may have
   * had files to prepare since the caller checked) and then start nothing: migrations return
   * what they applied so far, a deploy throws a NotStartedError.
   */
  applyMigrations(
    service: ServiceInfo,
    target: DeployTarget,
    interrupt?: AbortSignal,
  ): Promise<AppliedMigrations[]>;
  /** `wrangler deploy`; throws a DeployCommandError when wrangler fails. */
  deploy(
    service: ServiceInfo,
    target: DeployTarget,
    interrupt?: AbortSignal,
  ): Promise<DeployedVersion>;
  /**
   * `wrangler versions upload`: the new version exists but serves nothing until
   * `deployVersions` puts it in a deployment. Same annotations, secrets file, interrupt check
   * and errors as `deploy`.
   */
  uploadVersion(
    service: ServiceInfo,
    target: DeployTarget,
    interrupt?: AbortSignal,
  ): Promise<DeployedVersion>;
  /**
   * `wrangler versions deploy <id>@<percent>% ... -y --message <message>`: one deployment that
   * splits traffic between the versions given (percentages summing to 100); throws a
   * DeployCommandError on failure.
   */
  deployVersions(
    service: ServiceInfo,
    target: DeployTarget,
    split: VersionShare[],
    message: string,
  ): Promise<void>;
  /**
   * Puts `versionId` back at 100% with `message` as the deployment's annotation, as
   * `wrangler rollback <versionId> -m <message>` does; throws a DeployCommandError on failure.
   */
  rollback(
    service: ServiceInfo,
    target: DeployTarget,
    versionId: string,
    message: string,
  ): Promise<void>;
  /** The exact command a human runs to roll this service back by hand (shown when we could not). */
  manualRollbackCommand(service: ServiceInfo, target: DeployTarget, versionId: string): string;
}

/** One version's share of a gradual deployment's traffic. */
export interface VersionShare {
  versionId: string;
  /** 0 to 100; at 0 the version serves only requests that ask for it by override. */
  percentage: number;
}

/** A failed wrangler (or API) call, with a message safe to print (secrets already redacted). */
export class DeployCommandError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(`${command}: ${message}`);
    this.name = "DeployCommandError";
  }
}

/**
 * A call the runner stopped while it was still running (after an interruption's grace period):
 * what it had done by then is unknown, and a stopped deploy may still go live.
 */
export class StoppedCommandError extends DeployCommandError {
  constructor(command: string, message: string) {
    super(command, message);
    this.name = "StoppedCommandError";
  }
}

/** The run was interrupted before this call started, so it did not start. */
export class NotStartedError extends Error {
  constructor(command: string) {
    super(`${command}: not started, the run was interrupted`);
    this.name = "NotStartedError";
  }
}

/** What `wrangler d1 migrations apply` did to one database. */
export interface AppliedMigrations {
  database: string;
  /** The migrations this run applied, in order; they stay applied whatever happens next. */
  applied: string[];
  /** The migration that failed; wrangler stops there, keeping the ones before it. */
  failed?: string;
}

export class MigrationFailedError extends DeployCommandError {
  constructor(
    command: string,
    message: string,
    /** Every database handled so far, the failed one last. */
    readonly migrations: AppliedMigrations[],
  ) {
    super(command, message);
    this.name = "MigrationFailedError";
  }
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

export interface HttpClient {
  /** Rejects on network errors and timeouts; any HTTP status resolves. */
  request(request: HttpRequest): Promise<HttpResponse>;
}

/** Where a deployed Worker answers HTTP, if anywhere reachable from the deployer. */
export interface EndpointResolver {
  baseUrl(
    service: ServiceInfo,
    target: DeployTarget,
    deployed: DeployedVersion | undefined,
  ): Promise<string | undefined>;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, signal?.aborted ? 0 : ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** One line of live progress; the host prints it, the Dagger runner logs it. */
export type ProgressSink = (line: string) => void;

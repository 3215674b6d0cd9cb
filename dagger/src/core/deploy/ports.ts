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
   * from `wrangler deployments list --json`; empty when the Worker has never been deployed.
   */
  deploymentHistory(service: ServiceInfo, target: DeployTarget): Promise<string[]>;
  /** `wrangler deploy`; throws a DeployCommandError when wrangler fails. */
  deploy(service: ServiceInfo, target: DeployTarget): Promise<DeployedVersion>;
  /** `wrangler rollback <versionId> -m <message>`; throws a DeployCommandError on failure. */
  rollback(
    service: ServiceInfo,
    target: DeployTarget,
    versionId: string,
    message: string,
  ): Promise<void>;
  /** The exact command a human runs to roll this service back by hand (shown when we could not). */
  manualRollbackCommand(service: ServiceInfo, target: DeployTarget, versionId: string): string;
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
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One line of live progress; the host prints it, the Dagger runner logs it. */
export type ProgressSink = (line: string) => void;

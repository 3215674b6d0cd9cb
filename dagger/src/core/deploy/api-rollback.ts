import { workerName } from "../services/deploy-targets.js";
import {
  type ApiAnswer,
  type CloudflareApi,
  describeRefusal,
  workerScriptRequest,
} from "./cloudflare-api.js";
import { DeployCommandError, type HttpClient, type WorkerDeployer } from "./ports.js";

/**
 * Rollback through the Cloudflare API from the pipeline's own process: the one request
 * `wrangler rollback` ends with (a deployment of the version at 100%, with the message as its
 * annotation), without starting wrangler. A wrangler process costs seconds per wave (Node
 * start-up, config reading, three look-ups that only print), and the waves of a rollback run
 * one after another, so it was most of the time to recover (docs/benchmarks.md). wrangler would also
 * send a Durable Objects `code_update_strategy` from the config; no service sets one.
 */

/**
 * "Secrets changed since that version": `wrangler rollback -y` confirms and repeats the call
 * with `?force=true`, and so do we, or the two paths would roll back different things.
 */
const SECRETS_CHANGED = 10220;

/**
 * The deployer with `rollback` done through the API. Where the API cannot be asked (network
 * error, timeout, an answer that is not the API's), wrangler does the rollback, as before: a
 * rollback is the last thing to give up on. Where the API refuses, wrangler would be refused
 * the same way, so the refusal is the error, in one line that says what to do.
 */
export function apiRollbackDeployer(
  wrangler: WorkerDeployer,
  http: HttpClient,
  api: CloudflareApi,
): WorkerDeployer {
  return {
    ...wrangler,
    async rollback(service, target, versionId, message) {
      const worker = workerName(service, target);
      const answer = await createRollbackDeployment(http, api, worker, versionId, message);
      if (answer.kind === "done") return;
      if (answer.kind === "refused") {
        throw new DeployCommandError(
          `Cloudflare API rollback of ${worker}`,
          `refused (${describeRefusal(answer)}); ${whatToDo(answer.status, worker, versionId)}`,
        );
      }
      try {
        await wrangler.rollback(service, target, versionId, message);
      } catch (error) {
        throw new DeployCommandError(
          `Cloudflare API rollback of ${worker}`,
          `${answer.reason}, and the wrangler fallback failed too: ${(error as Error).message}`,
        );
      }
    },
  };
}

async function createRollbackDeployment(
  http: HttpClient,
  api: CloudflareApi,
  worker: string,
  versionId: string,
  message: string,
  force = false,
): Promise<ApiAnswer> {
  const answer = await workerScriptRequest(http, api, {
    method: "POST",
    worker,
    path: `deployments${force ? "?force=true" : ""}`,
    body: {
      strategy: "percentage",
      versions: [{ version_id: versionId, percentage: 100 }],
      annotations: { "workers/message": message },
    },
  });
  if (answer.kind === "refused" && answer.code === SECRETS_CHANGED && !force) {
    return createRollbackDeployment(http, api, worker, versionId, message, true);
  }
  return answer;
}

function whatToDo(status: number, worker: string, versionId: string): string {
  if (status === 401 || status === 403) {
    return "check that CLOUDFLARE_API_TOKEN may edit Workers scripts in the account CLOUDFLARE_ACCOUNT_ID names, then run the rollback command shown";
  }
  if (status === 404) {
    return `check that ${worker} has version ${versionId} (\`wrangler versions list\`), or roll back to one it has with --to`;
  }
  return `${worker} still serves what it served before; roll back to another version with --to, or deploy a fix`;
}

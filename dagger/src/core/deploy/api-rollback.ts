import { z } from "zod";
import { workerName } from "../services/deploy-targets.js";
import { DeployCommandError, type HttpClient, type WorkerDeployer } from "./ports.js";
import { CLOUDFLARE_API_BASE_URL } from "./version-metrics.js";

/**
 * Rollback through the Cloudflare API from the pipeline's own process: the one request
 * `wrangler rollback` ends with (a deployment of the version at 100%, with the message as its
 * annotation), without starting wrangler. A wrangler process added 1 to 3 s per wave on two
 * busy cores (Node start-up, config reading, three look-ups that only print), and the waves of
 * a rollback run one after another, so it was most of the time to recover. wrangler would also
 * send a Durable Objects `code_update_strategy` from the config; no service sets one.
 */

export interface CloudflareApi {
  baseUrl: string;
  accountId: string;
  /** Sent in the Authorization header only: never in a URL, a message or an error. */
  token: string;
}

/**
 * The API wrangler would call, read from the same variables wrangler reads
 * (CLOUDFLARE_API_BASE_URL replaces Cloudflare's for both).
 */
export function cloudflareApiFromEnv(env: Record<string, string | undefined>): CloudflareApi {
  return {
    baseUrl: env.CLOUDFLARE_API_BASE_URL || CLOUDFLARE_API_BASE_URL,
    accountId: env.CLOUDFLARE_ACCOUNT_ID ?? "",
    token: env.CLOUDFLARE_API_TOKEN ?? "",
  };
}

/**
 * Long enough for Cloudflare (or the local control plane restarting workerd, 1 to 3 s) to
 * switch; short enough that a hung call falls back to wrangler well within a recovery.
 */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * "Secrets changed since that version": `wrangler rollback -y` confirms and repeats the call
 * with `?force=true`, and so do we, or the two paths would roll back different things.
 */
const SECRETS_CHANGED = 10220;

const envelopeSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })).default([]),
});

type Answer =
  | { kind: "done" }
  | { kind: "refused"; status: number; code: number | undefined; message: string }
  | { kind: "unreachable"; reason: string };

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
          `refused (HTTP ${answer.status}${answer.code === undefined ? "" : `, code ${answer.code}`}: ${oneLine(answer.message)}); ${whatToDo(answer.status, worker, versionId)}`,
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
): Promise<Answer> {
  const url = `${api.baseUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(api.accountId)}/workers/scripts/${encodeURIComponent(worker)}/deployments${force ? "?force=true" : ""}`;
  let response: Awaited<ReturnType<HttpClient["request"]>>;
  try {
    response = await http.request({
      method: "POST",
      url,
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        strategy: "percentage",
        versions: [{ version_id: versionId, percentage: 100 }],
        annotations: { "workers/message": message },
      }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    return { kind: "unreachable", reason: `the API did not answer (${(error as Error).message})` };
  }
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(response.body));
  } catch {
    return {
      kind: "unreachable",
      reason: `the API answered HTTP ${response.status} without its JSON envelope`,
    };
  }
  if (envelope.success && response.status < 300) return { kind: "done" };
  const [first] = envelope.errors;
  if (first?.code === SECRETS_CHANGED && !force) {
    return createRollbackDeployment(http, api, worker, versionId, message, true);
  }
  return {
    kind: "refused",
    status: response.status,
    code: first?.code,
    message: first?.message ?? "no error message",
  };
}

/** The API's messages can span lines; a report line must not. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
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

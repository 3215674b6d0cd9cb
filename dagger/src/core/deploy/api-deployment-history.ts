import * as z from "zod";
import { workerName } from "../services/deploy-targets.js";
import { type CloudflareApi, describeRefusal, workerScriptRequest } from "./cloudflare-api.js";
import {
  deploymentsSchema,
  servedVersionsOldestFirst,
  WORKER_NOT_FOUND_CODES,
} from "./deployment-history.js";
import type { HttpClient, WorkerDeployer } from "./ports.js";

const resultSchema = z.object({ deployments: deploymentsSchema });

/**
 * The deployer with `deploymentHistory` read through the API: the request `wrangler deployments
 * list` makes, without its process. A deploy reads it for every service before uploading (the
 * version to roll back to) and a rollback after each switch, so the wrangler process (most of
 * a second each) was on every service's path. Any answer other than
 * the list or "no such Worker" is left to wrangler, whose error says what to fix, and `notice`
 * gets one line on why: an API that hangs costs its timeout on every service, which the user
 * should see rather than only feel.
 */
export function apiDeploymentHistory(
  wrangler: WorkerDeployer,
  http: HttpClient,
  api: CloudflareApi,
  notice: (line: string) => void = () => {},
): WorkerDeployer {
  return {
    ...wrangler,
    async deploymentHistory(service, target) {
      const worker = workerName(service, target);
      const answer = await workerScriptRequest(http, api, {
        method: "GET",
        worker,
        path: "deployments",
      });
      if (answer.kind === "refused" && WORKER_NOT_FOUND_CODES.has(answer.code ?? 0)) return [];
      const listed = answer.kind === "done" ? resultSchema.safeParse(answer.result) : undefined;
      if (listed?.success) return servedVersionsOldestFirst(listed.data.deployments);
      const why =
        answer.kind === "refused"
          ? `refused (${describeRefusal(answer)})`
          : answer.kind === "unreachable"
            ? answer.reason
            : "its answer was not a list of deployments";
      notice(`${worker}: the Cloudflare API's deployments list: ${why}; asking wrangler instead`);
      return wrangler.deploymentHistory(service, target);
    },
  };
}

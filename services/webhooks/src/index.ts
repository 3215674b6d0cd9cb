import { WorkerEntrypoint } from "cloudflare:workers";
import { healthResponse, jsonError } from "@workers/http";
import type { Env } from "./env";
import { handleWebhook } from "./handle-webhook";
import { describeRedelivery, redeliverStuckEvents } from "./redeliver";

export type { Env } from "./env";

const WEBHOOK_ROUTE = /^\/webhooks\/([^/]+)$/;
const ROUTES = "GET /health, POST /webhooks/:source";

export default class WebhooksService extends WorkerEntrypoint<Env> {
  /** The cron in wrangler.jsonc: enqueues events whose processing was never enqueued. */
  override async scheduled(): Promise<void> {
    const run = await redeliverStuckEvents(this.env, Date.now());
    // Failing the invocation makes it show as failed in the cron's history.
    if (run.failed) throw new Error(describeRedelivery(run));
    console.log(describeRedelivery(run));
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health" && request.method === "GET") {
      return healthResponse("webhooks", this.env.VERSION);
    }
    const source = WEBHOOK_ROUTE.exec(pathname)?.[1];
    if (source !== undefined && request.method === "POST") {
      return handleWebhook(request, this.env, source);
    }
    if (pathname === "/health" || source !== undefined) {
      return jsonError(
        405,
        "method_not_allowed",
        `${request.method} not allowed; valid: ${ROUTES}`,
      );
    }
    return jsonError(
      404,
      "not_found",
      `no route for ${request.method} ${pathname}; valid: ${ROUTES}`,
    );
  }
}

import { WorkerEntrypoint } from "cloudflare:workers";
import { app } from "./app";
import type { Env } from "./env";

export type { Env } from "./env";

/** The public edge; routing lives in the Hono app, the entrypoint only hands requests over. */
export default class GatewayService extends WorkerEntrypoint<Env> {
  override fetch(request: Request): Promise<Response> {
    return Promise.resolve(app.fetch(request, this.env, this.ctx));
  }
}

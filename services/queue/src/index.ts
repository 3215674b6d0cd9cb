import { WorkerEntrypoint } from "cloudflare:workers";
import { parseInput, ServiceError } from "@workers/db/errors";
import { healthResponse, jsonError } from "@workers/http";
import { processMessage } from "./consumer";
import type { Env } from "./env";
import { type EnqueueInput, EnqueueJob, PAYLOADS } from "./schemas";

export type { Env } from "./env";
export type { EnqueueInput, JobType } from "./schemas";
export { JOB_TYPES } from "./schemas";

export default class QueueService extends WorkerEntrypoint<Env> {
  /** Creates the job row (status queued) first, so the consumer always finds what it is sent. */
  async enqueue(input: EnqueueInput): Promise<{ id: string }> {
    const { type, payload } = parseInput(EnqueueJob, input);
    const checked = parseInput(PAYLOADS[type], payload, "payload");
    const id = crypto.randomUUID();
    await this.env.DB.createJob({ id, type, payload: checked });
    try {
      await this.env.JOBS.send({ id });
    } catch {
      await this.env.DB.updateJob(id, { status: "failed", error: "could not be queued" });
      throw new ServiceError("unavailable", `job ${id} could not be queued; try again`, 503);
    }
    return { id };
  }

  override async queue(batch: MessageBatch<unknown>): Promise<void> {
    await Promise.all(batch.messages.map((message) => processMessage(this.env, message)));
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/health") return jsonError(404, "not_found", `no route for ${pathname}`);
    if (request.method !== "GET") {
      return jsonError(405, "method_not_allowed", "use GET for /health");
    }
    return healthResponse("queue", this.env.VERSION);
  }
}

import { WorkerEntrypoint } from "cloudflare:workers";
import { healthResponse, jsonError } from "@workers/http";
import { dueJobs } from "./due-jobs";
import type { Env, ScheduledJob } from "./env";
import { type CronRun, runCron } from "./run-cron";

export type { Env } from "./env";

export default class ScheduleService extends WorkerEntrypoint<Env> {
  async dueJobs(cron: string): Promise<ScheduledJob[]> {
    return dueJobs(this.env, cron);
  }

  async runCron(cron: string): Promise<CronRun> {
    return runCron(this.env, cron);
  }

  override async scheduled(controller: ScheduledController): Promise<void> {
    await runCron(this.env, controller.cron);
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") {
      if (request.method !== "GET") return jsonError(405, "method_not_allowed", "use GET /health");
      return healthResponse("schedule", this.env.VERSION);
    }
    return jsonError(
      404,
      "not_found",
      `no route for ${request.method} ${pathname}; valid: GET /health`,
    );
  }
}

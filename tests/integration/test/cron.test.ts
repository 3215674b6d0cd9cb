import { describe, expect, inject, it } from "vitest";
import { dbClient } from "../harness/db-client.js";
import { jobsCreatedSince, listJobIds, waitForCompletedJobs } from "../harness/jobs.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();

// The crons exactly as deployed: the schedule worker's wrangler.jsonc triggers.
const crons = inject("workerSpecs").find((spec) => spec.name === "schedule")?.config.triggers.crons;

interface ScheduleRpc {
  dueJobs(cron: string): Promise<{ type: string; payload: unknown }[]>;
}

describe("cron triggers", { tags: ["schedule", "db"] }, () => {
  it("are declared in the schedule worker's config", () => {
    expect(crons?.length).toBeGreaterThan(0);
  });

  it.each(crons ?? [])("a %s tick enqueues its due jobs and they complete", async (cron) => {
    const schedule = await cluster.mf.getWorker("schedule");
    const due = JSON.parse(
      JSON.stringify(await (schedule as unknown as ScheduleRpc).dueJobs(cron)),
    ) as { type: string; payload: unknown }[];
    expect(due.length).toBeGreaterThan(0);
    const before = await listJobIds(await cluster.database());

    const tick = await schedule.scheduled({ cron });

    expect(tick.outcome).toBe("ok");
    const created = await jobsCreatedSince(await cluster.database(), before);
    const db = await dbClient(cluster.mf);
    const jobs = await waitForCompletedJobs(db, created);
    const byType = (a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type);
    expect(jobs.map(({ type, payload }) => ({ type, payload })).sort(byType)).toEqual(
      [...due].sort(byType),
    );
    for (const { payload } of jobs.filter((job) => job.type === "send_email")) {
      const { to, template } = payload as { to: string; template: string };
      expect(await db.listOutbox({ to })).toContainEqual(
        expect.objectContaining({ to, template, status: "sent" }),
      );
    }
  });
});

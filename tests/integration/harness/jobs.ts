import type { DbClient } from "./db-client.js";
import type { JobRecord } from "./db-records.js";
import type { D1 } from "./db-snapshot.js";
import { pollUntil } from "./poll.js";

/** Ids of every job row, oldest first: a before/after difference shows what a flow enqueued. */
export async function listJobIds(db: D1): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM jobs ORDER BY rowid").all<{ id: string }>();
  return results.map((row) => row.id);
}

export async function jobsCreatedSince(db: D1, before: string[]): Promise<string[]> {
  return (await listJobIds(db)).filter((id) => !before.includes(id));
}

/** Waits for the queue consumer to finish the jobs; returns them once all are completed. */
export async function waitForCompletedJobs(db: DbClient, ids: string[]): Promise<JobRecord[]> {
  return pollUntil(
    `jobs ${ids.join(", ")} to complete`,
    () => Promise.all(ids.map(async (id) => db.getJob(id))),
    (jobs): jobs is JobRecord[] => jobs.every((job) => job?.status === "completed"),
  );
}

import type * as z from "zod";
import type { JobRecord } from "./records";
import type { JobStatus, JobUpdate, NewJob } from "./schemas";

interface JobRow {
  id: string;
  type: string;
  payload: string;
  status: JobStatus;
  attempts: number;
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    payload: JSON.parse(row.payload),
    status: row.status,
    attempts: row.attempts,
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createJob(db: D1Database, job: z.infer<typeof NewJob>): Promise<JobRecord> {
  const row = await db
    .prepare("INSERT INTO jobs (id, type, payload) VALUES (?, ?, ?) RETURNING *")
    .bind(job.id, job.type, JSON.stringify(job.payload ?? null))
    .first<JobRow>();
  return toRecord(row as JobRow);
}

export async function getJob(db: D1Database, id: string): Promise<JobRecord | null> {
  const row = await db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<JobRow>();
  return row ? toRecord(row) : null;
}

/** Fields left out of `update` keep their stored value; `null` clears `result`/`error`. */
export async function updateJob(
  db: D1Database,
  id: string,
  update: z.infer<typeof JobUpdate>,
): Promise<JobRecord | null> {
  const sets = ["status = ?", "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"];
  const values: unknown[] = [update.status];
  if (update.attempts !== undefined) {
    sets.push("attempts = ?");
    values.push(update.attempts);
  }
  if (update.result !== undefined) {
    sets.push("result = ?");
    values.push(update.result === null ? null : JSON.stringify(update.result));
  }
  if (update.error !== undefined) {
    sets.push("error = ?");
    values.push(update.error);
  }
  const row = await db
    .prepare(`UPDATE jobs SET ${sets.join(", ")} WHERE id = ? RETURNING *`)
    .bind(...values, id)
    .first<JobRow>();
  return row ? toRecord(row) : null;
}

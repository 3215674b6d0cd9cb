import { env } from "cloudflare:workers";
import { expect } from "vitest";

export async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: { code: string; status: number; message: string }) => error,
  );
}

export const countJobs = async () =>
  env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM jobs").first("n");

/** Waits for the real consumer to settle a job; vitest's poll bounds the wait. */
export async function settled(id: string, status: "completed" | "failed", attempts = 1) {
  await expect
    .poll(async () => env.DB.getJob(id), { timeout: 15_000, interval: 100 })
    .toMatchObject({ status, attempts });
  return env.DB.getJob(id);
}

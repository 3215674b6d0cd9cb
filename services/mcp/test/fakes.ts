import { env } from "cloudflare:workers";
import type { FakeQueueControls } from "@workers/testing/fake-queue";

/** Test-only methods of test/fakes/*.js, reached through the real bindings. */
interface FakeEmailControls {
  sentEmails(): Promise<{ to: string; template: string; data: unknown }[]>;
  reset(): Promise<void>;
}
interface FakeDbControls {
  seedJob(job: Record<string, unknown>): Promise<void>;
  reset(): Promise<void>;
}

export const fakeQueue = env.QUEUE as unknown as FakeQueueControls;
export const fakeEmail = env.EMAIL as unknown as FakeEmailControls;
export const fakeDb = env.DB as unknown as FakeDbControls;

export async function resetFakes(): Promise<void> {
  await Promise.all([fakeQueue.reset(), fakeEmail.reset(), fakeDb.reset()]);
}

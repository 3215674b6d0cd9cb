import { env } from "cloudflare:workers";

/** Test-only methods of test/fakes/queue.js, reached through the real QUEUE binding. */
interface FakeQueueControls {
  recorded(): Promise<{ type: string; payload: unknown }[]>;
  /** Rejects enqueues of this job type until called with null. */
  failOn(type: string | null): Promise<void>;
  reset(): Promise<void>;
}

export const fakeQueue = env.QUEUE as unknown as FakeQueueControls;

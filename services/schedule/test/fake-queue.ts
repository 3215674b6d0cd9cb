import { env } from "cloudflare:workers";
import type { ScheduledJob } from "../src/env";

/** Test-only methods of test/fakes/queue.js, reached through the real QUEUE binding. */
interface FakeQueueControls {
  recorded(): Promise<ScheduledJob[]>;
  failOn(type: string): Promise<void>;
  reset(): Promise<void>;
}

export const fakeQueue = env.QUEUE as unknown as FakeQueueControls;

/**
 * Test-only methods of fakes/queue.js, reached through a service's real QUEUE binding
 * (`env.QUEUE as unknown as FakeQueueControls<Job>`).
 */
export interface FakeQueueControls<Job = { type: string; payload: unknown }> {
  /** What was enqueued since the last reset, in order. */
  recorded(): Promise<Job[]>;
  /** Rejects enqueues of this job type until called with null. */
  failOn(type: string | null): Promise<void>;
  reset(): Promise<void>;
}

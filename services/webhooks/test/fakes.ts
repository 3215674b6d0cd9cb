import { env } from "cloudflare:workers";

/** Test-only methods of test/fakes/*.js, reached through the real DB and QUEUE bindings. */
interface FakeDbControls {
  storedEvents(): Promise<{ id: string; source: string; payload: unknown }[]>;
  reset(): Promise<void>;
}
interface FakeQueueControls {
  recorded(): Promise<{ type: string; payload: unknown }[]>;
  failOn(type: string): Promise<void>;
  reset(): Promise<void>;
}

export const fakeDb = env.DB as unknown as FakeDbControls;
export const fakeQueue = env.QUEUE as unknown as FakeQueueControls;

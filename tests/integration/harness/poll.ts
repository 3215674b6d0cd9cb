import { setTimeout as sleep } from "node:timers/promises";

const POLL_INTERVAL_MS = 50;
// Bounded: a flow that never settles fails with its last observed state instead of hanging.
const MAX_ATTEMPTS = 400;

/** Reads until `done` holds (queue consumers run asynchronously) and returns that value. */
export async function pollUntil<T, Done extends T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => value is Done,
): Promise<Done>;
export async function pollUntil<T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T>;
export async function pollUntil<T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  let last: T | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    last = await read();
    if (done(last)) return last;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`gave up waiting for ${description}; last seen: ${JSON.stringify(last)}`);
}

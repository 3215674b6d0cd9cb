import type { DeployTarget } from "../services/catalog.js";

/** Who holds an environment's deploy lock. */
export interface LockHolder {
  /** A person or CI job, e.g. `alice@laptop` or `github-actions run 42`. */
  holder: string;
  /** ISO time the lock was taken. */
  since: string;
  pid: number;
  /**
   * When the process `pid` started (opaque, compared for equality), so a later process given
   * the same pid does not keep a dead holder's lock alive. Absent where the host cannot read it.
   */
  startTime?: string;
  hostname: string;
}

/** Storage for one lock per environment; creation must be atomic (create-if-absent). */
export interface DeployLockStore {
  /** Takes the lock; returns the current holder instead when someone else has it. */
  tryCreate(target: DeployTarget, holder: LockHolder): Promise<LockHolder | undefined>;
  /** Removes the lock only while it is still `owner`'s, so a late cleanup cannot free another's. */
  remove(target: DeployTarget, owner: LockHolder): Promise<void>;
  /** Whether the process with this pid (and start time, when recorded) runs on this machine. */
  isProcessAlive(pid: number, startTime?: string): boolean;
  hostname(): string;
}

/** No deploy runs this long; an older lock was left by a crashed run on another machine. */
export const LOCK_STALE_AFTER_MS = 60 * 60 * 1000;

export class DeployLockedError extends Error {
  constructor(
    readonly target: DeployTarget,
    readonly current: LockHolder,
  ) {
    super(
      `deploy to ${target} refused: ${current.holder} holds the lock since ${current.since} (pid ${current.pid} on ${current.hostname})`,
    );
    this.name = "DeployLockedError";
  }
}

/** A lock is stale when its process is gone from this machine, or when it is implausibly old. */
export function isStale(lock: LockHolder, store: DeployLockStore, now: number): boolean {
  if (lock.hostname === store.hostname() && !store.isProcessAlive(lock.pid, lock.startTime)) {
    return true;
  }
  const since = Date.parse(lock.since);
  return Number.isNaN(since) || now - since > LOCK_STALE_AFTER_MS;
}

/**
 * Runs `work` holding the environment's lock and releases it on every exit path. A stale lock
 * is replaced (and reported through `notice`); a live one refuses with its holder and time.
 */
export async function withDeployLock<T>(
  store: DeployLockStore,
  target: DeployTarget,
  holder: LockHolder,
  now: number,
  notice: (line: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  let current = await store.tryCreate(target, holder);
  if (current && isStale(current, store, now)) {
    notice(
      `removing stale ${target} deploy lock of ${current.holder} (pid ${current.pid} on ${current.hostname}, since ${current.since})`,
    );
    await store.remove(target, current);
    current = await store.tryCreate(target, holder);
  }
  if (current) {
    throw new DeployLockedError(target, current);
  }
  try {
    return await work();
  } finally {
    await store.remove(target, holder);
  }
}

import { unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  CorruptStateFileError,
  createJsonFileExclusive,
  isProcessRunning,
  processStartTime,
  readJsonFile,
} from "@workers/host-state";
import * as z from "zod";
import type { DeployLockStore, LockHolder } from "#core";

/** Gitignored: locks describe this machine's running deploys, not the repository. */
export const LOCK_DIR = ".pipeline/locks";

const lockHolderSchema = z.object({
  holder: z.string(),
  since: z.string(),
  pid: z.number().int(),
  // Locks taken before start times were recorded have none; their pid alone is checked.
  startTime: z.string().optional(),
  hostname: z.string(),
});

/**
 * One file per environment, created whole and exclusively (written aside, then hard-linked into
 * place): the file system decides who wins when two deploys start together, and a reader never
 * sees half a lock. A lock that does not parse was damaged from outside; it is never removed
 * automatically, since its holder might still be deploying.
 */
export function fileLockStore(repoRoot: string): DeployLockStore {
  const dir = join(repoRoot, LOCK_DIR);
  const file = (target: string) => join(dir, `deploy-${target}.lock`);

  const read = (target: string): Promise<LockHolder | undefined> =>
    readJsonFile(
      file(target),
      lockHolderSchema,
      `if no deploy to ${target} is running, remove it and deploy again`,
    );

  return {
    async tryCreate(target, holder) {
      if (await createJsonFileExclusive(file(target), holder)) return undefined;
      // Released between our attempt and this read: try again.
      return (await read(target)) ?? this.tryCreate(target, holder);
    },
    async remove(target, owner) {
      // A lock damaged since it was taken is nobody's to remove: it stays, and the next deploy
      // names it. Throwing here would hide the outcome of the deploy that just ran.
      const current = await read(target).catch((error: unknown) => {
        if (error instanceof CorruptStateFileError) return undefined;
        throw error;
      });
      if (
        current &&
        current.pid === owner.pid &&
        current.since === owner.since &&
        current.hostname === owner.hostname
      ) {
        await unlink(file(target)).catch(() => undefined);
      }
    },
    isProcessAlive: isProcessRunning,
    hostname: () => hostname(),
  };
}

export function currentHolder(now: Date): LockHolder {
  const who = process.env.GITHUB_ACTIONS
    ? `github-actions run ${process.env.GITHUB_RUN_ID ?? "?"} (${process.env.GITHUB_ACTOR ?? "?"})`
    : `${process.env.USER ?? process.env.USERNAME ?? "unknown"}@${hostname()}`;
  const startTime = processStartTime(process.pid);
  return {
    holder: who,
    since: now.toISOString(),
    pid: process.pid,
    ...(startTime !== undefined && { startTime }),
    hostname: hostname(),
  };
}

import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { DeployLockStore, LockHolder } from "../../dagger/src/core/deploy/deploy-lock.js";

/** Gitignored: locks describe this machine's running deploys, not the repository. */
export const LOCK_DIR = ".pipeline/locks";

const lockHolderSchema = z.object({
  holder: z.string(),
  since: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
});

/**
 * One file per environment, created with O_EXCL (`wx`): the file system decides who wins when
 * two deploys start together.
 */
export function fileLockStore(repoRoot: string): DeployLockStore {
  const dir = join(repoRoot, LOCK_DIR);
  const file = (target: string) => join(dir, `deploy-${target}.lock`);

  const read = async (path: string): Promise<LockHolder | undefined> => {
    try {
      const parsed = lockHolderSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
      // An unreadable lock still blocks, but as an obviously stale one (pid 0, epoch).
      return parsed.success
        ? parsed.data
        : {
            holder: "unknown (corrupt lock file)",
            since: "1970-01-01T00:00:00.000Z",
            pid: 0,
            hostname: hostname(),
          };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };

  return {
    async tryCreate(target, holder) {
      await mkdir(dir, { recursive: true });
      try {
        await writeFile(file(target), `${JSON.stringify(holder, null, 2)}\n`, { flag: "wx" });
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      // Released between our attempt and this read: try again.
      return (await read(file(target))) ?? this.tryCreate(target, holder);
    },
    async remove(target, owner) {
      const current = await read(file(target));
      if (
        current &&
        current.pid === owner.pid &&
        current.since === owner.since &&
        current.hostname === owner.hostname
      ) {
        await unlink(file(target)).catch(() => undefined);
      }
    },
    isProcessAlive(pid) {
      if (pid <= 0) return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        // EPERM: the process exists but belongs to someone else.
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
    hostname: () => hostname(),
  };
}

export function currentHolder(now: Date): LockHolder {
  const who = process.env.GITHUB_ACTIONS
    ? `github-actions run ${process.env.GITHUB_RUN_ID ?? "?"} (${process.env.GITHUB_ACTOR ?? "?"})`
    : `${process.env.USER ?? process.env.USERNAME ?? "unknown"}@${hostname()}`;
  return { holder: who, since: now.toISOString(), pid: process.pid, hostname: hostname() };
}

import type { BigIntStats } from "node:fs";

/**
 * How recent a file's last change may be for its stamp to be trusted by a memo: a file changed
 * again within its file system's timestamp granularity (2 s on the coarsest common ones) could
 * keep the same stamp with new content. Git's index treats such "racily clean" entries the same
 * way.
 */
export const RACY_MS = 2_000;

/**
 * What the memos between runs (file hashes, the catalog) know a file by: modification and change
 * times in ns, size, inode and mode. The change time cannot be set back (`touch -r` and `cp -p`
 * set only the modification time), so a file rewritten with its old modification time still
 * gets a new stamp.
 */
export interface FileStamp {
  text: string;
  /** Whether a memo may keep it: its last change is older than RACY_MS before `readAt`. */
  trusted: boolean;
}

/** The stamp of `stats`, taken at `readAt` (ms since the epoch). */
export function fileStamp(stats: BigIntStats, readAt: number): FileStamp {
  const changedMs = Math.max(Number(stats.ctimeNs), Number(stats.mtimeNs)) / 1e6;
  return {
    text: `${stats.mtimeNs}:${stats.ctimeNs}:${stats.size}:${stats.ino}:${stats.mode}`,
    // A change within the timestamp granularity after this read would leave the stamp as it is.
    trusted: changedMs < readAt - RACY_MS,
  };
}

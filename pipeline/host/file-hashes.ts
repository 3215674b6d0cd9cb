import { createHash } from "node:crypto";
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { inspectJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import { fileStamp } from "./file-stamp.js";
import { CACHE_DIR } from "./step-cache.js";

const MEMO_FILE = `${CACHE_DIR}/file-hashes.json`;

const memoSchema = z.object({
  format: z.literal(1),
  /** Path → [stamp, SHA-256 of the mode bit and content]. */
  files: z.record(z.string(), z.tuple([z.string(), z.string()])),
});

/**
 * The SHA-256 of each file a step's key names, read once per run and remembered between runs
 * while the file's stamp (modification and change times in ns, size, inode, mode) is the one it
 * had when it was hashed: a run that replays every step then reads no file content at all, as
 * Git's index spares `git status` reading unchanged files. The change time cannot be set by
 * `touch` or `cp -p`, so a file rewritten with its old modification time still reads as changed.
 */
export class FileHashes {
  private readonly hashes = new Map<string, Promise<string>>();
  /** What this run hashed or confirmed, by path, to be saved for the next one. */
  private readonly seen = new Map<string, { stamp: string; hash: string; trusted: boolean }>();

  private constructor(
    private readonly repoRoot: string,
    private readonly remembered: Record<string, [string, string]>,
    private readonly now: () => number,
    /** Whether `remembered` is what the memo file holds (else there is none, or a corrupt one). */
    private readonly onFile = false,
  ) {}

  /** The hashes the last run saved; a missing or corrupt file is an empty memo. */
  static async load(repoRoot: string, now: () => number = Date.now): Promise<FileHashes> {
    const found = await inspectJsonFile(join(repoRoot, MEMO_FILE), memoSchema);
    return found.state === "good"
      ? new FileHashes(repoRoot, found.value.files, now, true)
      : new FileHashes(repoRoot, {}, now);
  }

  /** Hashes without a memo, for a run that caches nothing. */
  static none(repoRoot: string): FileHashes {
    return new FileHashes(repoRoot, {}, Date.now);
  }

  /** The file's hash: content and executable bit (a symlink's target as written). */
  hash(path: string): Promise<string> {
    let hash = this.hashes.get(path);
    if (hash === undefined) {
      hash = this.compute(path);
      this.hashes.set(path, hash);
    }
    return hash;
  }

  /**
   * Writes what this run hashed for the next one, leaving out files changed too close to the
   * moment they were read to trust their stamp. Files this run did not hash are dropped: the
   * memo follows the checkout.
   */
  async save(): Promise<void> {
    const files: Record<string, [string, string]> = {};
    for (const [path, { stamp, hash, trusted }] of this.seen) {
      if (trusted) files[path] = [stamp, hash];
    }
    // A run that changed nothing leaves the file as it is: no write, no fsync.
    if (this.onFile && sameMemo(files, this.remembered)) return;
    await writeJsonFile(join(this.repoRoot, MEMO_FILE), { format: 1, files }, memoSchema);
  }

  private async compute(path: string): Promise<string> {
    const file = join(this.repoRoot, path);
    const readAt = this.now();
    const stats = await lstat(file, { bigint: true });
    const { text: stamp, trusted } = fileStamp(stats, readAt);
    const known = this.remembered[path];
    let hash: string;
    if (known && known[0] === stamp) {
      hash = known[1];
    } else {
      const content = stats.isSymbolicLink()
        ? Buffer.from(`symlink:${await readlink(file)}`)
        : await readFile(file);
      hash = createHash("sha256")
        .update(stats.mode & 0o111n ? "x" : "-")
        .update(content)
        .digest("hex");
    }
    this.seen.set(path, { stamp, hash, trusted });
    return hash;
  }
}

function sameMemo(
  a: Record<string, [string, string]>,
  b: Record<string, [string, string]>,
): boolean {
  const paths = Object.keys(a);
  return (
    paths.length === Object.keys(b).length &&
    paths.every((path) => b[path]?.[0] === a[path]?.[0] && b[path]?.[1] === a[path]?.[1])
  );
}

import type { RunCommand } from "../command-change-probe.js";

export interface CommitTimes {
  /** Committer time (`%cI`) of each commit git knows, in milliseconds, by full sha. */
  times: ReadonlyMap<string, number>;
  /** Why no time could be read at all (not a git repository...), for the report's notes. */
  problem?: string;
}

/** The port the metrics read commit times through: git on the host, git in a container. */
export type CommitTimeLookup = (shas: readonly string[]) => Promise<CommitTimes>;

/**
 * Commit times from `git log --no-walk`: one call for every sha. `--ignore-missing` leaves out
 * commits this clone does not have (a shallow clone, a commit from another branch never
 * fetched), so those simply have no time. The shas are the 40-hex ones parseOrigin accepts,
 * never an option.
 */
export function gitCommitTimes(run: RunCommand): CommitTimeLookup {
  return async (shas) => {
    // Without a revision git log would show HEAD.
    if (shas.length === 0) return { times: new Map() };
    const result = await run([
      "git",
      "log",
      "--no-walk=unsorted",
      "--ignore-missing",
      "--format=%H %cI",
      ...shas,
    ]);
    if (result.exitCode !== 0) {
      const reason = result.stderr.trim().split("\n")[0] || `exit code ${result.exitCode}`;
      return { times: new Map(), problem: `git log could not read commit times: ${reason}` };
    }
    const times = new Map<string, number>();
    for (const line of result.stdout.split("\n")) {
      const [sha, iso] = line.trim().split(" ");
      const time = Date.parse(iso ?? "");
      if (sha && !Number.isNaN(time)) times.set(sha, time);
    }
    return { times };
  };
}

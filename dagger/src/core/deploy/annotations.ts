/**
 * Where a deployed version came from, carried in Cloudflare's version annotations so that any
 * later run can read it back from `wrangler versions list` / `deployments list`:
 *   - `workers/message` (wrangler `--message`): "commit <sha> run <run-id>";
 *   - `workers/tag` (wrangler `--tag`): the commit's first 12 characters, short enough for the
 *     dashboard and for Cloudflare's tag limit.
 */
export interface VersionOrigin {
  /** The full 40-character commit sha the version was built from. */
  commit: string;
  /** The pipeline run that uploaded it (a GitHub run id, or host-<timestamp> locally). */
  run: string;
}

import type { RunCommand } from "../command-change-probe.js";

const MESSAGE = /^commit ([0-9a-f]{40}) run (\S+)$/;

export function originMessage(origin: VersionOrigin): string {
  return `commit ${origin.commit} run ${origin.run}`;
}

export function originTag(origin: VersionOrigin): string {
  return origin.commit.slice(0, 12);
}

/** The wrangler flags that annotate an upload with its origin. */
export function originArgs(origin: VersionOrigin): string[] {
  return ["--message", originMessage(origin), "--tag", originTag(origin)];
}

/** The origin a version's `workers/message` records, or undefined for any other message. */
export function parseOrigin(message: string | undefined | null): VersionOrigin | undefined {
  const match = MESSAGE.exec(message?.trim() ?? "");
  return match ? { commit: match[1] as string, run: match[2] as string } : undefined;
}

/**
 * The origin of what is about to be deployed from a git checkout: its HEAD, when the tracked
 * files are exactly HEAD's. With uncommitted changes, or outside git, there is no commit the
 * upload was built from, so it carries no origin rather than a wrong one.
 */
export async function checkoutOrigin(
  run: RunCommand,
  runId: string,
): Promise<VersionOrigin | undefined> {
  const head = await run(["git", "rev-parse", "--verify", "HEAD^{commit}"]);
  const status = await run(["git", "status", "--porcelain", "--untracked-files=no"]);
  const commit = head.stdout.trim();
  if (head.exitCode !== 0 || status.exitCode !== 0 || status.stdout.trim() !== "") return undefined;
  return /^[0-9a-f]{40}$/.test(commit) ? { commit, run: runId } : undefined;
}

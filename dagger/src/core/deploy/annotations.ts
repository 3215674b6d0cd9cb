/**
 * Where a deployed version came from, carried in Cloudflare's version annotations so that any
 * later run can read it back from `wrangler versions list` / `deployments list`:
 *   - `workers/message` (wrangler `--message`): "commit <sha> run <run-id> wave <n>/<waves>",
 *     or "run <run-id> wave <n>/<waves>" when there is no commit to name (uncommitted files);
 *   - `workers/tag` (wrangler `--tag`): the commit's first 12 characters, short enough for the
 *     dashboard and for Cloudflare's tag limit.
 * The run and its wave make a deploy recognisable from the deployment history alone, when the
 * runner that kept its journal is gone (see run-recover.ts). Cloudflare keeps 100 bytes of a
 * deployment's message; the longest form (a GitHub run id) stays well under that.
 */
export interface VersionOrigin {
  /** The full 40-character commit sha the version was built from. */
  commit: string;
  /** The pipeline run that uploaded it (a GitHub run id, or host-<timestamp> locally). */
  run: string;
}

import type { RunCommand } from "../command-change-probe.js";

/** A deploy's place in its run's plan: the run, and the wave (1-based) of how many. */
export interface RunPlace {
  run: string;
  wave: number;
  waves: number;
}

const MESSAGE = /^commit ([0-9a-f]{40}) run (\S+)(?: wave \d+\/\d+)?$/;
const PLACE = /(?:^|\s)run (\S+) wave (\d+)\/(\d+)$/;

export function originMessage(origin: VersionOrigin, place?: RunPlace): string {
  const message = `commit ${origin.commit} run ${origin.run}`;
  return place === undefined ? message : `${message} wave ${place.wave}/${place.waves}`;
}

export function originTag(origin: VersionOrigin): string {
  return origin.commit.slice(0, 12);
}

/** The wrangler flags that annotate an upload with its origin and its place in its run. */
export function originArgs(origin: VersionOrigin | undefined, place?: RunPlace): string[] {
  if (origin === undefined) {
    return place === undefined
      ? []
      : ["--message", `run ${place.run} wave ${place.wave}/${place.waves}`];
  }
  return ["--message", originMessage(origin, place), "--tag", originTag(origin)];
}

/** The origin a version's `workers/message` records, or undefined for any other message. */
export function parseOrigin(message: string | undefined | null): VersionOrigin | undefined {
  const match = MESSAGE.exec(message?.trim() ?? "");
  return match ? { commit: match[1] as string, run: match[2] as string } : undefined;
}

/** The run and wave a deployment's `workers/message` records, with or without a commit. */
export function parseRunPlace(message: string | undefined | null): RunPlace | undefined {
  const match = PLACE.exec(message?.trim() ?? "");
  if (!match) return undefined;
  return { run: match[1] as string, wave: Number(match[2]), waves: Number(match[3]) };
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

import { parseOrigin, type VersionOrigin } from "../deploy/annotations.js";
import type { DeployTarget } from "../services/catalog.js";
import {
  type Band,
  changeFailureRateBand,
  deploymentFrequencyBand,
  leadTimeBand,
  timeToRestoreBand,
} from "./bands.js";
import type { CommitTimes } from "./commit-times.js";
import type { DeploymentRecord, ServiceHistory } from "./history.js";
import type { Since } from "./since.js";

/*
 * How the four metrics come out of the deployment history (README, "DORA metrics", says the
 * same for users):
 *
 * - Each service's deployments are read oldest first. One whose `workers/triggered_by` is
 *   "rollback" is a rollback; "secret" is a secret change (a copy of the serving version with
 *   new secrets, no new code: it deploys nothing, and its new version belongs to the rollout of
 *   the version it copied); anything else (upload, promotion, or none) deploys.
 * - A deploying deployment starts a *rollout* of each version it serves (share > 0) that the
 *   service has not served before. The rollout *completes* at the first deploying deployment
 *   that serves its version at 100%.
 * - A rollback *rolls back* every version that served in the deployment just before it and
 *   does not serve in the rollback. The failure is taken to start when that version last began
 *   to serve (for a fresh rollout, its start) and to end at the rollback, which serves its
 *   version at 100% (Cloudflare's rollbacks always do).
 * - A rollout's origin is its version's `workers/message`, "commit <sha> run <id>" (the
 *   pipeline's annotation), or else that of the deployment that started it. A *deploy run* is
 *   every rollout with the same run id and commit, across services; a rollout without the
 *   annotation is a run of its own, counted but with no commit. A run's time is its first
 *   rollout's start; it is in the window when that time is at most `since` ago.
 * - A run *failed* when any of its versions was rolled back, in the run itself or any time later.
 *
 * Then, over the runs in the window:
 * - deployment frequency: runs per day of the window (and per week);
 * - lead time for changes, per run that did not fail, whose rollouts all completed and whose
 *   commit git knows: its last completion minus the commit's committer time. Median, and p90
 *   (nearest rank) from 10 runs up; earlier commits shipped by the same run waited longer;
 * - change failure rate: failed runs / runs;
 * - time to restore, per failed run: its last rollback minus the earliest start of a failure it
 *   rolled back. Median.
 * No run in the window: every metric is "no data"; no failed run: no time to restore.
 */

const TRIGGERED_BY = "workers/triggered_by";
export const MESSAGE = "workers/message";

const DAY = 86_400_000;
/** Below this many values a 90th percentile is only the maximum again, so it is not shown. */
const P90_MIN_RUNS = 10;

export interface DeployRun {
  /** The pipeline's run id; `<service>@<version-id>` for a version without its annotation. */
  id: string;
  commit?: string;
  services: string[];
  /** When its first version began to serve. */
  start: string;
  /** When its last version reached 100%, if all did. */
  completedAt?: string;
  commitTime?: string;
  leadTimeMs?: number;
  failed: boolean;
  /** The last rollback of one of its versions. */
  rolledBackAt?: string;
  restoreMs?: number;
}

export interface DoraReport {
  target: DeployTarget;
  since: string;
  window: { start: string; end: string; days: number };
  /** Deploy runs in the window, oldest first. */
  runs: DeployRun[];
  /** Rollback deployments in the window, across services. */
  rollbacks: number;
  deploymentFrequency: { runs: number; perDay: number; perWeek: number; band?: Band };
  leadTime: {
    runs: number;
    medianMs?: number;
    p90Ms?: number;
    band?: Band;
    /** Runs in the window without a lead time, by reason. */
    excluded: { failed: number; unannotated: number; unknownCommit: number; incomplete: number };
  };
  changeFailureRate: { failed: number; runs: number; rate?: number; band?: Band };
  timeToRestore: { runs: number; medianMs?: number; band?: Band };
  /** What the figures leave out, one sentence each. */
  notes: string[];
}

interface Rollout {
  service: string;
  versionId: string;
  origin?: VersionOrigin;
  start: number;
  completedAt?: number;
  rollback?: { from: number; at: number };
}

interface ServiceRollouts {
  rollouts: Rollout[];
  /** Times of rollbacks that rolled back no known rollout. */
  unattributed: number[];
  rollbackTimes: number[];
}

function serving(deployment: DeploymentRecord): string[] {
  return deployment.versions.filter((v) => v.percentage > 0).map((v) => v.versionId);
}

function mainVersion(deployment: DeploymentRecord): string | undefined {
  return [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0]?.versionId;
}

function rolloutsOf(history: ServiceHistory): ServiceRollouts {
  const messages = new Map(history.versions.map((v) => [v.id, v.annotations[MESSAGE]]));
  const deployments = [...history.deployments].sort((a, b) => a.createdOn - b.createdOn);
  const owner = new Map<string, Rollout>();
  const servingSince = new Map<string, number>();
  const result: ServiceRollouts = { rollouts: [], unattributed: [], rollbackTimes: [] };
  let previous: DeploymentRecord | undefined;
  for (const deployment of deployments) {
    const now = serving(deployment);
    const before = previous ? serving(previous) : [];
    const trigger = deployment.annotations[TRIGGERED_BY];
    if (trigger === "rollback") {
      result.rollbackTimes.push(deployment.createdOn);
      const replaced = before.filter((id) => !now.includes(id));
      const rolledBack = replaced.flatMap((id) => {
        const rollout = owner.get(id);
        return rollout ? [{ rollout, from: servingSince.get(id) ?? rollout.start }] : [];
      });
      if (rolledBack.length === 0) result.unattributed.push(deployment.createdOn);
      for (const { rollout, from } of rolledBack) {
        rollout.rollback ??= { from, at: deployment.createdOn };
      }
    } else if (trigger === "secret") {
      const copied = previous && owner.get(mainVersion(previous) ?? "");
      for (const id of now) if (copied && !owner.has(id)) owner.set(id, copied);
    } else {
      for (const { versionId, percentage } of deployment.versions) {
        if (percentage <= 0) continue;
        let rollout = owner.get(versionId);
        if (!rollout) {
          const origin =
            parseOrigin(messages.get(versionId)) ?? parseOrigin(deployment.annotations[MESSAGE]);
          rollout = {
            service: history.service,
            versionId,
            ...(origin ? { origin } : {}),
            start: deployment.createdOn,
          };
          owner.set(versionId, rollout);
          result.rollouts.push(rollout);
        }
        if (percentage === 100) rollout.completedAt ??= deployment.createdOn;
      }
    }
    for (const id of now) if (!before.includes(id)) servingSince.set(id, deployment.createdOn);
    previous = deployment;
  }
  return result;
}

interface RunModel {
  id: string;
  commit?: string;
  rollouts: Rollout[];
  start: number;
}

function groupRuns(rollouts: Rollout[]): RunModel[] {
  const runs = new Map<string, RunModel>();
  for (const rollout of rollouts) {
    const key = rollout.origin
      ? `run ${rollout.origin.run} ${rollout.origin.commit}`
      : `version ${rollout.service} ${rollout.versionId}`;
    const run = runs.get(key) ?? {
      id: rollout.origin?.run ?? `${rollout.service}@${rollout.versionId}`,
      ...(rollout.origin ? { commit: rollout.origin.commit } : {}),
      rollouts: [],
      start: rollout.start,
    };
    run.rollouts.push(rollout);
    run.start = Math.min(run.start, rollout.start);
    runs.set(key, run);
  }
  return [...runs.values()].sort((a, b) => a.start - b.start);
}

const iso = (ms: number) => new Date(ms).toISOString();

function describeRun(run: RunModel, commits: CommitTimes): DeployRun {
  const completions = run.rollouts.map((rollout) => rollout.completedAt);
  const completedAt = completions.every((time) => time !== undefined)
    ? Math.max(...(completions as number[]))
    : undefined;
  const rollbacks = run.rollouts.flatMap((rollout) => (rollout.rollback ? [rollout.rollback] : []));
  const failed = rollbacks.length > 0;
  const commitTime = run.commit === undefined ? undefined : commits.times.get(run.commit);
  const rolledBackAt = failed ? Math.max(...rollbacks.map((r) => r.at)) : undefined;
  return {
    id: run.id,
    ...(run.commit ? { commit: run.commit } : {}),
    services: [...new Set(run.rollouts.map((rollout) => rollout.service))].sort(),
    start: iso(run.start),
    ...(completedAt !== undefined ? { completedAt: iso(completedAt) } : {}),
    ...(commitTime !== undefined ? { commitTime: iso(commitTime) } : {}),
    ...(!failed && completedAt !== undefined && commitTime !== undefined
      ? { leadTimeMs: completedAt - commitTime }
      : {}),
    failed,
    ...(rolledBackAt !== undefined
      ? {
          rolledBackAt: iso(rolledBackAt),
          restoreMs: rolledBackAt - Math.min(...rollbacks.map((r) => r.from)),
        }
      : {}),
  };
}

export function median(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return undefined;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The nearest-rank 90th percentile: the smallest value at or above 90% of the values. */
export function p90(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.9 * sorted.length) - 1];
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export interface DoraInput {
  target: DeployTarget;
  since: Since;
  /** The end of the window, in milliseconds. */
  now: number;
}

/** The four DORA metrics of `history`, as defined at the top of this file. Pure. */
export function computeDora(
  history: readonly ServiceHistory[],
  commits: CommitTimes,
  input: DoraInput,
): DoraReport {
  const start = input.now - input.since.ms;
  const inWindow = (time: number) => time >= start && time <= input.now;
  const perService = history.map(rolloutsOf);
  const runs = groupRuns(perService.flatMap((service) => service.rollouts))
    .filter((run) => inWindow(run.start))
    .map((run) => describeRun(run, commits));

  const days = input.since.ms / DAY;
  const perDay = runs.length / days;
  const failed = runs.filter((run) => run.failed);
  const leadTimes = runs.flatMap((run) => (run.leadTimeMs === undefined ? [] : [run.leadTimeMs]));
  const restores = failed.flatMap((run) => (run.restoreMs === undefined ? [] : [run.restoreMs]));
  const leadMedian = median(leadTimes);
  const leadP90 = leadTimes.length >= P90_MIN_RUNS ? p90(leadTimes) : undefined;
  const restoreMedian = median(restores);
  const rate = runs.length === 0 ? undefined : failed.length / runs.length;
  const ok = runs.filter((run) => !run.failed);
  const excluded = {
    failed: failed.length,
    unannotated: ok.filter((run) => run.commit === undefined).length,
    unknownCommit: ok.filter((run) => run.commit !== undefined && run.commitTime === undefined)
      .length,
    incomplete: ok.filter((run) => run.commitTime !== undefined && run.completedAt === undefined)
      .length,
  };

  const notes: string[] = [];
  if (commits.problem) notes.push(commits.problem);
  if (excluded.unannotated > 0) {
    notes.push(
      `${plural(excluded.unannotated, "run")} deployed versions without the pipeline's "commit <sha> run <id>" annotation: counted, with no lead time`,
    );
  }
  if (excluded.unknownCommit > 0) {
    notes.push(
      `${plural(excluded.unknownCommit, "run")} deployed a commit this clone does not have (a shallow clone?): no lead time`,
    );
  }
  if (excluded.incomplete > 0) {
    notes.push(
      `${plural(excluded.incomplete, "run")} still not at 100% everywhere: no lead time yet`,
    );
  }
  const unattributed = perService.flatMap((service) => service.unattributed).filter(inWindow);
  if (unattributed.length > 0) {
    notes.push(
      `${plural(unattributed.length, "rollback")} replaced a version deployed before the listed history: counted against no run`,
    );
  }
  for (const service of history) {
    const oldest = [...service.deployments].sort((a, b) => a.createdOn - b.createdOn)[0];
    const first = oldest?.versions.some(
      (v) => service.versions.find((version) => version.id === v.versionId)?.number === 1,
    );
    if (oldest && !first && oldest.createdOn > start) {
      notes.push(
        `${service.service}: Cloudflare lists its deployments only from ${iso(oldest.createdOn)}; earlier ones in the window are not counted`,
      );
    }
  }

  return {
    target: input.target,
    since: input.since.label,
    window: { start: iso(start), end: iso(input.now), days },
    runs,
    rollbacks: perService.flatMap((service) => service.rollbackTimes).filter(inWindow).length,
    deploymentFrequency: {
      runs: runs.length,
      perDay,
      perWeek: perDay * 7,
      ...(runs.length > 0 ? { band: deploymentFrequencyBand(perDay) } : {}),
    },
    leadTime: {
      runs: leadTimes.length,
      ...(leadMedian !== undefined ? { medianMs: leadMedian, band: leadTimeBand(leadMedian) } : {}),
      ...(leadP90 !== undefined ? { p90Ms: leadP90 } : {}),
      excluded,
    },
    changeFailureRate: {
      failed: failed.length,
      runs: runs.length,
      ...(rate !== undefined ? { rate, band: changeFailureRateBand(rate) } : {}),
    },
    timeToRestore: {
      runs: restores.length,
      ...(restoreMedian !== undefined
        ? { medianMs: restoreMedian, band: timeToRestoreBand(restoreMedian) }
        : {}),
    },
    notes,
  };
}

import { parseRunPlace } from "../deploy/annotations.js";
import type { ServiceHistory } from "../dora/history.js";
import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { DeployContext } from "./deploy-context.js";
import {
  type JournalChild,
  type JournaledRun,
  type JournaledService,
  type JournalStore,
  newestUnfinishedRun,
  touchedServices,
} from "./deploy-journal.js";
import { formatSeconds } from "./health.js";
import type { RollbackReport } from "./report.js";
import { rollbackService } from "./rollback-service.js";

/** What `recover` needs beyond a deploy's context. */
export interface RecoverContext extends DeployContext {
  /** Every service of the environment: a history-only recovery looks for the run in each. */
  services: ServiceInfo[];
  journals: JournalStore;
  /** Each service's deployments with their annotations (the fallback when there is no journal). */
  readHistory: (services: ServiceInfo[]) => Promise<ServiceHistory[]>;
  /** Whether a process the journal names still runs (host only; a container has none left). */
  isRunning?: (pid: number, startTime: string | undefined) => boolean;
  /** The processes a run left running on this machine, found by its mark (host only). */
  runProcesses?: RunProcessesPort;
}

/**
 * Every wrangler a deploy starts carries its run's mark, so a child started an instant before
 * a kill -9, too soon for the journal to name it, is found as well.
 */
export interface RunProcessesPort {
  /** Pids of the live processes carrying `run`'s mark. */
  live(run: string): Promise<number[]>;
  /**
   * Ends `pids` (of the journal or of `live`) with the process groups they lead, and whatever
   * else carries the mark.
   */
  end(run: string, pids: number[]): Promise<void>;
}

export interface RecoverOptions {
  dryRun: boolean;
  /**
   * The run to recover when no journal names an unfinished one: found in the deployment
   * history by its annotations. Set by `--run`, or by the CI run id (the recovery job's own).
   */
  run?: string | undefined;
  /** How long to wait for a child the dead run left running (wrangler in its own group). */
  childWaitMs?: number;
}

/** Long enough for a `wrangler deploy` that had started to finish its upload. */
export const DEFAULT_CHILD_WAIT_MS = 120_000;
const CHILD_POLL_MS = 500;

export type RecoverAction =
  | "already-on-pre-run"
  | "rolled-back"
  | "would-roll-back"
  | "nothing-to-return-to"
  | "failed";

export interface RecoveredService {
  service: string;
  worker: string;
  wave: number;
  /** The version before the run; null when it was the service's first deploy. */
  preRunVersion: string | null | undefined;
  /** What it served when `recover` looked. */
  foundVersion: string | null;
  /** What it serves now. */
  nowVersion: string | null;
  action: RecoverAction;
  /** One sentence: what was found and what was done. */
  note: string;
  rollback?: RollbackReport;
}

export interface RecoverReport {
  kind: "recover";
  target: string;
  ok: boolean;
  dryRun: boolean;
  /** The run recovered; absent when there was nothing to recover. */
  run?: { id: string; startedAt: string; source: "journal" | "history" };
  /** Why nothing was done, or what the wait for a left-over child found. */
  notes: string[];
  services: RecoveredService[];
  startedAt: string;
  durationMs: number;
}

/** The run is still going: recovering under it would fight it. Exit code 1, one line. */
export class RunStillRunningError extends Error {
  constructor(run: string, pid: number) {
    super(
      `run ${run} is still running (pid ${pid}): let it finish or stop it (SIGINT rolls it back), then run recover again`,
    );
    this.name = "RunStillRunningError";
  }
}

/**
 * `recover`: finds the newest unfinished run (its journal, or else `options.run` in the
 * deployment history), waits for any wrangler it left running, then puts every service it
 * touched back on its pre-run version, last wave first (a wave's services in parallel), each
 * proven by a health check. A service already there is left alone, so running it twice is safe.
 */
export async function runRecover(
  context: RecoverContext,
  options: RecoverOptions,
): Promise<RecoverReport> {
  const { clock, target } = context;
  const started = clock.now();
  const report: RecoverReport = {
    kind: "recover",
    target,
    ok: true,
    dryRun: options.dryRun,
    notes: [],
    services: [],
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
  };
  const found = await findRun(context, options, report.notes);
  if (found === undefined) {
    report.durationMs = clock.now() - started;
    return report;
  }
  const { run, source } = found;
  report.run = { id: run.run, startedAt: run.startedAt, source };
  if (run.runner !== undefined && context.isRunning?.(run.runner.pid, run.runner.startTime)) {
    throw new RunStillRunningError(run.run, run.runner.pid);
  }
  if (source === "journal") {
    await waitForRunProcesses(context, run.run, run.children, options, report.notes);
  }
  const touched = touchedServices(run);
  const byName = new Map(context.services.map((service) => [service.name, service]));
  const waves = [...new Set(touched.map((service) => service.wave))].sort((a, b) => b - a);
  for (const wave of waves) {
    const results = await Promise.all(
      touched
        .filter((entry) => entry.wave === wave)
        .flatMap((entry) => {
          const service = byName.get(entry.service);
          return service ? [recoverService(context, service, entry, run.run, options.dryRun)] : [];
        }),
    );
    report.services.push(...results);
  }
  report.ok = report.services.every((service) => service.action !== "failed");
  if (report.ok && !options.dryRun && run.key !== undefined) {
    await context.journals.append(target, run.key, {
      kind: "ended",
      at: new Date(clock.now()).toISOString(),
      outcome: "recovered",
    });
  }
  report.durationMs = clock.now() - started;
  return report;
}

/** The journal's newest unfinished run, or else the named run as the deployment history shows it. */
async function findRun(
  context: RecoverContext,
  options: RecoverOptions,
  notes: string[],
): Promise<{ run: JournaledRun; source: "journal" | "history" } | undefined> {
  const journaled = await newestUnfinishedRun(context.journals, context.target);
  if (journaled !== undefined && (options.run === undefined || journaled.run === options.run)) {
    return { run: journaled, source: "journal" };
  }
  // A child still running could land a version naming the run after the history is read.
  if (options.run !== undefined) {
    await waitForRunProcesses(context, options.run, [], options, notes);
  }
  const histories = await context.readHistory(context.services);
  if (options.run === undefined) {
    const newest = newestAnnotatedRun(histories);
    notes.push(
      newest === undefined
        ? `no journal of an unfinished run for ${context.target}, and no deployment in its history names a pipeline run: nothing to recover`
        : `no journal of an unfinished run for ${context.target}: nothing to recover. Without a journal, whether a run finished cannot be told from the deployment history; the newest run it names is ${newest}: if it did not finish, run \`pnpm run pipeline recover --env ${context.target} --run ${newest}\``,
    );
    return undefined;
  }
  const run = runFromHistory(options.run, context.services, histories);
  if (run === undefined) {
    notes.push(`no deployment of ${context.target} names run ${options.run}: nothing to recover`);
    return undefined;
  }
  return { run, source: "history" };
}

/** A run as the deployment history shows it: each service's first deployment that names it. */
export function runFromHistory(
  runId: string,
  services: readonly ServiceInfo[],
  histories: readonly ServiceHistory[],
): JournaledRun | undefined {
  const entries: JournaledService[] = [];
  let startedAt: number | undefined;
  let waves = 0;
  for (const service of services) {
    const history = histories.find((candidate) => candidate.service === service.name);
    const deployments = [...(history?.deployments ?? [])].sort((a, b) => a.createdOn - b.createdOn);
    // The deployment's own message, or else that of the version it serves (the upload's).
    const placeOf = (deployment: ServiceHistory["deployments"][number]) => {
      const main = mainVersion(deployment.versions);
      const version = history?.versions.find((candidate) => candidate.id === main);
      return (
        parseRunPlace(deployment.annotations["workers/message"]) ??
        parseRunPlace(version?.annotations["workers/message"])
      );
    };
    const first = deployments.findIndex((deployment) => placeOf(deployment)?.run === runId);
    if (first === -1) continue;
    const deployment = deployments[first];
    const place = deployment && placeOf(deployment);
    if (deployment === undefined || place === undefined) continue;
    startedAt = Math.min(startedAt ?? deployment.createdOn, deployment.createdOn);
    waves = Math.max(waves, place.waves);
    const before = deployments[first - 1];
    entries.push({
      service: service.name,
      wave: place.wave,
      previous: before === undefined ? null : mainVersion(before.versions),
      last: "deployed",
    });
  }
  if (entries.length === 0 || startedAt === undefined) return undefined;
  return {
    run: runId,
    target: "",
    startedAt: new Date(startedAt).toISOString(),
    waves: Array.from({ length: waves }, (_, index) =>
      entries.filter((entry) => entry.wave === index + 1).map((entry) => entry.service),
    ),
    services: entries,
    children: [],
  };
}

function newestAnnotatedRun(histories: readonly ServiceHistory[]): string | undefined {
  const marked = histories.flatMap((history) =>
    history.deployments.flatMap((deployment) => {
      const place = parseRunPlace(deployment.annotations["workers/message"]);
      return place ? [{ run: place.run, at: deployment.createdOn }] : [];
    }),
  );
  return marked.sort((a, b) => b.at - a.at)[0]?.run;
}

function mainVersion(versions: { versionId: string; percentage: number }[]): string | null {
  return [...versions].sort((a, b) => b.percentage - a.percentage)[0]?.versionId ?? null;
}

/**
 * A `wrangler deploy` the dead run started runs in its own process group and may still land
 * its version. Rolling back before it ends would be undone by it, so wait for it first: for
 * the children the journal names and, on the host, every process carrying the run's mark.
 * After the wait, the host ends what is left (the version it lands then is read afterwards).
 * A dry run only names them.
 */
async function waitForRunProcesses(
  context: RecoverContext,
  run: string,
  children: JournalChild[],
  options: RecoverOptions,
  notes: string[],
): Promise<void> {
  const { isRunning, runProcesses } = context;
  const live = async () => {
    const journaled = children
      .filter((child) => isRunning?.(child.pid, child.startTime) === true)
      .map((child) => child.pid);
    const marked = (await runProcesses?.live(run)) ?? [];
    return [...new Set([...journaled, ...marked])].sort((a, b) => a - b);
  };
  const pids = await live();
  if (pids.length === 0) return;
  const waitMs = options.childWaitMs ?? DEFAULT_CHILD_WAIT_MS;
  if (options.dryRun) {
    // Said, not waited for: a dry run changes nothing and ends nothing.
    notes.push(
      `run ${run} still has pid ${pids.join(", ")} running (a wrangler that may yet land its version): recover waits up to ${formatSeconds(waitMs)} for it before putting anything back, then ends it`,
    );
    return;
  }
  const started = context.clock.now();
  context.progress(
    `waiting up to ${formatSeconds(waitMs)} for what run ${run} left running to end (pid ${pids.join(", ")})`,
  );
  let left = pids;
  while (left.length > 0 && context.clock.now() - started < waitMs) {
    await context.clock.sleep(CHILD_POLL_MS);
    left = await live();
  }
  if (left.length === 0) {
    notes.push(
      `waited ${formatSeconds(context.clock.now() - started)} for the run's wrangler (pid ${pids.join(", ")}) to end`,
    );
  } else if (runProcesses) {
    await runProcesses.end(run, left);
    const line = `the run's wrangler (pid ${left.join(", ")}) still ran after ${formatSeconds(waitMs)}: ended it with its process group; recovering from what it left`;
    context.progress(line);
    notes.push(line);
  } else {
    notes.push(
      `the run's wrangler (pid ${left.join(", ")}) still runs after ${formatSeconds(waitMs)}: recovering anyway; if it lands a version later, run recover again`,
    );
  }
}

async function recoverService(
  context: RecoverContext,
  service: ServiceInfo,
  entry: JournaledService,
  run: string,
  dryRun: boolean,
): Promise<RecoveredService> {
  const worker = workerName(service, context.target);
  const base = { service: service.name, worker, wave: entry.wave, preRunVersion: entry.previous };
  let found: string | null;
  try {
    found = (await context.deployer.deploymentHistory(service, context.target)).at(-1) ?? null;
  } catch (error) {
    return {
      ...base,
      foundVersion: null,
      nowVersion: null,
      action: "failed",
      note: `${worker}: could not read what it serves: ${(error as Error).message}; run recover again`,
    };
  }
  const result = (action: RecoverAction, note: string, now = found): RecoveredService => ({
    ...base,
    foundVersion: found,
    nowVersion: now,
    action,
    note,
  });
  const previous = entry.previous;
  if (previous === undefined) {
    return result(
      "failed",
      `${worker} serves ${found ?? "nothing"}; the run never recorded what it served before, so recover cannot tell where to return it: roll it back by hand with \`pipeline rollback --service ${service.name} --env ${context.target} --to <version>\``,
    );
  }
  if (found === previous) {
    return result("already-on-pre-run", `${worker} already serves its pre-run version ${previous}`);
  }
  if (previous === null) {
    return result(
      "nothing-to-return-to",
      `${worker}: run ${run} was its first deploy, so there is no earlier version to return to; ${found ?? "nothing"} stays`,
    );
  }
  if (dryRun) {
    return result("would-roll-back", `${worker} serves ${found}: would roll back to ${previous}`);
  }
  const rollback = await rollbackService(
    context,
    service,
    previous,
    found ?? undefined,
    `recover run ${run}`,
    await context.endpoints.baseUrl(service, context.target, undefined),
  );
  const ok = rollback.outcome === "rolled-back";
  return {
    ...result(
      ok ? "rolled-back" : "failed",
      ok
        ? `${worker} served ${found}: rolled back to ${previous}${rollback.health ? ", healthy" : ""}`
        : `${worker} served ${found}: rollback to ${previous} FAILED: ${rollback.failure ?? rollback.note}`,
      ok ? previous : found,
    ),
    rollback,
  };
}

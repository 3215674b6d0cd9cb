import { isProcessRunning, processStartTime } from "@workers/host-state";
import { ensureLocalCloud } from "@workers/local-cloud";
import {
  DeployJournal,
  type DeployTarget,
  type JournaledRun,
  newestUnfinishedRun,
  type RecoverContext,
  readDeployHistory,
  recoverHeadline,
  renderRecover,
  runRecover,
  type ServiceCatalog,
  servicesIn,
  systemClock,
  touchedServices,
  type UnfinishedRunChoice,
} from "#core";
import type { CommandContext } from "../command.js";
import { commandDeployContext } from "./command-deploy-context.js";
import { doraPorts } from "./dora-ports.js";
import { fileJournalStore } from "./file-journal-store.js";
import type { HostInterrupt } from "./interrupts.js";
import { leftRunning } from "./left-running.js";
import { deployRunMark, pipelineRunId } from "./run-id.js";

/**
 * A deploy's journal on the host: in `.pipeline/journal`, naming this process (so `recover`
 * can tell it is gone) and every wrangler it starts in a group of its own (so `recover` can
 * wait for one a kill -9 left running). Each wrangler also carries the run's mark, which
 * `recover` finds even when the kill came before the journal named that wrangler.
 */
export function openDeployJournal(
  repoRoot: string,
  target: DeployTarget,
  command: CommandContext,
  interrupt: HostInterrupt,
): DeployJournal {
  const journal = new DeployJournal(
    fileJournalStore(repoRoot),
    pipelineRunId(command.env),
    target,
    systemClock,
    (line) => command.stderr(`  ! ${line}`),
    { pid: process.pid, startTime: processStartTime(process.pid) },
  );
  interrupt.children.markAs(deployRunMark(journal.run));
  interrupt.children.onStarted((pid) => {
    void journal.child({ pid, startTime: processStartTime(pid) });
  });
  return journal;
}

/** Everything `recover` reads and changes through on the host. */
export async function hostRecoverContext(
  repoRoot: string,
  catalog: ServiceCatalog,
  target: DeployTarget,
  command: CommandContext,
): Promise<RecoverContext> {
  const services = servicesIn(catalog, target);
  return {
    ...(await commandDeployContext(repoRoot, target, command)),
    services,
    journals: fileJournalStore(repoRoot),
    readHistory: async (chosen) => {
      const ports = await doraPorts(repoRoot, target, command.env, () =>
        ensureLocalCloud(repoRoot),
      );
      return readDeployHistory(ports.wrangler, chosen, target);
    },
    isRunning: isProcessRunning,
    runProcesses: leftRunning,
  };
}

/** The one command that finishes a cut-short run by hand. */
export function recoverCommand(target: DeployTarget): string {
  return `pnpm run pipeline recover --env ${target}`;
}

/** The first line a deploy prints when an earlier run to its environment was cut short. */
export function unfinishedRunLine(
  run: JournaledRun,
  target: DeployTarget,
  choice: UnfinishedRunChoice,
): string {
  const unverified = touchedServices(run)
    .filter((service) => service.last !== "rolled-back")
    .map((service) => `${service.service} (${service.last})`);
  const services =
    unverified.length === 0 ? "no service changed" : `unverified: ${unverified.join(", ")}`;
  const then =
    choice === "refuse"
      ? `refusing to deploy (rollout.unfinishedRun is "refuse"): run \`${recoverCommand(target)}\` first`
      : "recovering it first";
  return `unfinished deploy run ${run.run} to ${target} (started ${run.startedAt}): ${services}; ${then}`;
}

/** A deploy that finds a cut-short run and was told to refuse, or could not recover it. */
export class UnfinishedRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnfinishedRunError";
  }
}

/**
 * Before a deploy or release changes anything: each earlier run to one of `targets` that was cut
 * short is named, one line each, first; then (`recoverBeforeDeploy`) recovered, or, configured
 * so, the command refuses, the last line as its error. Returns the environments to recover.
 */
export async function reconcileUnfinishedRuns(
  repoRoot: string,
  catalog: ServiceCatalog,
  targets: readonly DeployTarget[],
  command: CommandContext,
  dryRun: boolean,
): Promise<DeployTarget[]> {
  const choice = catalog.settings.unfinishedRun;
  const found: { target: DeployTarget; line: string }[] = [];
  for (const target of targets) {
    const run = await newestUnfinishedRun(fileJournalStore(repoRoot), target);
    if (run !== undefined) found.push({ target, line: unfinishedRunLine(run, target, choice) });
  }
  const refusing = choice === "refuse" && !dryRun;
  for (const [index, { line }] of found.entries()) {
    if (refusing && index === found.length - 1) throw new UnfinishedRunError(line);
    command.stderr(line);
  }
  return found.map(({ target }) => target);
}

/**
 * Recovers, one environment after another, the runs `reconcileUnfinishedRuns` found; run it
 * holding their deploy locks. Returns once every one is back where its run found it; throws at
 * the first that could not be put back.
 */
export async function recoverBeforeDeploy(
  repoRoot: string,
  catalog: ServiceCatalog,
  targets: readonly DeployTarget[],
  command: CommandContext,
): Promise<void> {
  for (const target of targets) {
    const context = await hostRecoverContext(repoRoot, catalog, target, command);
    const report = await runRecover(context, { dryRun: false });
    command.stderr(renderRecover(report));
    if (!report.ok) {
      throw new UnfinishedRunError(
        `${recoverHeadline(report)}; deploy refused: fix what is named above, then run \`${recoverCommand(target)}\``,
      );
    }
  }
}

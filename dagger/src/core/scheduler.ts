import {
  type CoverageMap,
  type CoverageSummary,
  evaluateCoverage,
  type SubjectCoverage,
  summarizeCoverage,
} from "./coverage.js";
import { remainingPaths } from "./critical-path.js";
import type { Step } from "./steps.js";

export interface StepIo {
  /** Output of the running command as it arrives (stdout and stderr interleaved). */
  onOutput(text: string): void;
}

export interface StepOutcome {
  exitCode: number;
  /** The last lines of the step's output, shown when it fails. */
  logTail: string;
  /** The parsed coverage map, for steps that declare `coverageMap` and wrote one. */
  coverageMap?: CoverageMap;
  /** Replayed from an earlier run with the same inputs instead of run (host runner's cache). */
  cached?: boolean;
}

/** Runs one command step; the host does it with execa, the Dagger module in a container. */
export interface StepExecutor {
  execute(step: Step, io: StepIo): Promise<StepOutcome>;
}

/**
 * passed/failed: the step ran. skipped: something it needs failed. cancelled: it never started
 * because an unrelated step failed and the run was not `keepGoing`. no-tests: a package without
 * a test script; nothing to run, and not a failure.
 */
export type StepStatus = "passed" | "failed" | "skipped" | "cancelled" | "no-tests";

export interface StepResult {
  id: string;
  title: string;
  status: StepStatus;
  service?: string;
  exitCode?: number;
  /** Milliseconds since the run started; absent for steps that never started. */
  startedAt?: number;
  durationMs: number;
  logTail: string;
  /** The totals of the step's own coverage map (for a subject several steps measure, a share). */
  coverage?: CoverageSummary;
  /** The coverage gate's verdict per subject. */
  coverageReport?: SubjectCoverage[];
  /** The coverage gate's threshold (the repository's, from its pipeline config or the default). */
  coverageThreshold?: number;
  /** Why a step was skipped or cancelled. */
  reason?: string;
  /** A passed step replayed from the cache: its log and coverage are from the run it replays. */
  cached?: boolean;
}

export interface RunResult {
  /** In the order the steps were given. */
  steps: StepResult[];
  exitCode: 0 | 1;
  durationMs: number;
  concurrency: number;
}

export type RunEvent =
  | { type: "start"; step: Step }
  | { type: "output"; step: Step; text: string }
  | { type: "end"; step: Step; result: StepResult };

export interface RunOptions {
  /** Maximum steps running at once; default the number of CPUs. */
  concurrency?: number;
  /** Run every step whose needs passed, instead of stopping at the first failure. */
  keepGoing?: boolean;
  onEvent?: (event: RunEvent) => void;
  /**
   * Milliseconds each step is expected to take (from earlier runs), by step id. When more steps
   * are ready than there are free slots, the one with the longest remaining path (its own time
   * plus its slowest chain of dependents) starts first; on equal paths (among them every step
   * without a duration), steps not tied to a service before services' own, then declaration order.
   */
  expectedDurations?: Readonly<Record<string, number>>;
  /** Milliseconds; injectable so reports can be rendered deterministically in tests. */
  now?: () => number;
}

export class StepGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StepGraphError";
  }
}

/** CPUs as the runtime reports them; the core cannot import node:os (Dagger imports it too). */
export function defaultConcurrency(): number {
  const runtime = globalThis as { navigator?: { hardwareConcurrency?: number } };
  return runtime.navigator?.hardwareConcurrency ?? 1;
}

/**
 * Starts every step whose needs have passed, at most `concurrency` at a time, longest remaining
 * path first (see `expectedDurations`). On a failure it stops launching (running steps finish)
 * unless `keepGoing`; either way the dependents of a failed step are skipped. Coverage-gate steps
 * are evaluated here from the test steps' results.
 */
export async function runSteps(
  steps: readonly Step[],
  executor: StepExecutor,
  options: RunOptions = {},
): Promise<RunResult> {
  validateStepGraph(steps);
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const launchOrder = byRemainingPath(steps, options.expectedDurations ?? {});
  const startTime = now();
  const results = new Map<string, StepResult>();
  // Kept apart from the results: maps are large, and only the gate reads them.
  const coverageMaps = new Map<string, CoverageMap>();
  const running = new Map<string, Promise<void>>();
  let stopped = false;

  const settle = (step: Step, status: StepStatus, reason: string) => {
    const result: StepResult = {
      id: step.id,
      title: step.title,
      status,
      ...(step.service ? { service: step.service } : {}),
      durationMs: 0,
      logTail: "",
      reason,
    };
    results.set(step.id, result);
    emit({ type: "end", step, result });
  };

  const launch = (step: Step) => {
    const startedAt = now() - startTime;
    emit({ type: "start", step });
    const task = executeStep(step, executor, { steps, coverageMaps, emit })
      .catch(
        (error: unknown): StepOutcome => ({
          exitCode: 1,
          logTail: `the step could not run: ${error instanceof Error ? error.message : String(error)}`,
        }),
      )
      .then((outcome) => {
        if (outcome.coverageMap) {
          coverageMaps.set(step.id, outcome.coverageMap);
        }
        const coverage = outcome.coverageMap && summarizeCoverage([outcome.coverageMap]);
        const result: StepResult = {
          id: step.id,
          title: step.title,
          status: outcome.exitCode === 0 ? "passed" : "failed",
          ...(step.service ? { service: step.service } : {}),
          exitCode: outcome.exitCode,
          startedAt,
          durationMs: now() - startTime - startedAt,
          logTail: outcome.logTail,
          ...(coverage ? { coverage } : {}),
          ...(outcome.cached && outcome.exitCode === 0 ? { cached: true } : {}),
          ...("coverageReport" in outcome ? { coverageReport: outcome.coverageReport } : {}),
          ...(step.coverageThreshold === undefined
            ? {}
            : { coverageThreshold: step.coverageThreshold }),
        };
        results.set(step.id, result);
        running.delete(step.id);
        if (result.status === "failed" && !options.keepGoing) {
          stopped = true;
        }
        emit({ type: "end", step, result });
      });
    running.set(step.id, task);
  };

  for (;;) {
    for (const step of steps) {
      if (results.has(step.id) || running.has(step.id)) {
        continue;
      }
      if (step.kind === "no-tests") {
        settle(step, "no-tests", "no test script");
        continue;
      }
      const failedNeed = step.needs.find((id) => {
        const status = results.get(id)?.status;
        return status !== undefined && status !== "passed";
      });
      if (failedNeed) {
        settle(step, "skipped", `needs ${failedNeed}, which ${results.get(failedNeed)?.status}`);
      }
    }
    if (!stopped) {
      for (const step of launchOrder) {
        if (running.size >= concurrency) {
          break;
        }
        const ready =
          !results.has(step.id) &&
          !running.has(step.id) &&
          step.needs.every((id) => results.get(id)?.status === "passed");
        if (ready) {
          launch(step);
        }
      }
    }
    if (running.size === 0) {
      break;
    }
    await Promise.race(running.values());
  }

  for (const step of steps) {
    if (!results.has(step.id)) {
      settle(step, "cancelled", "not started: an earlier step failed");
    }
  }
  const ordered = steps.map((step) => results.get(step.id) as StepResult);
  return {
    steps: ordered,
    exitCode: ordered.every((result) => result.status === "passed" || result.status === "no-tests")
      ? 0
      : 1,
    durationMs: now() - startTime,
    concurrency,
  };
}

/** Longest remaining path first; the sort is stable, so ties end in declaration order. */
function byRemainingPath(
  steps: readonly Step[],
  expectedDurations: Readonly<Record<string, number>>,
): Step[] {
  const remaining = remainingPaths(steps, expectedDurations);
  const ms = (step: Step) => remaining.get(step.id)?.ms ?? 0;
  // Without durations, the steps not tied to a service (typecheck, lint, root test suites) go
  // before the services' unit tests, which are the small pieces by design: small pieces last
  // keeps the tail short (the longest-first rule, without measurements).
  const ofOneService = (step: Step) => (step.service === undefined ? 0 : 1);
  return [...steps].sort((a, b) => ms(b) - ms(a) || ofOneService(a) - ofOneService(b));
}

type GateOutcome = StepOutcome & { coverageReport?: SubjectCoverage[] };

interface RunState {
  steps: readonly Step[];
  coverageMaps: ReadonlyMap<string, CoverageMap>;
  emit: (event: RunEvent) => void;
}

async function executeStep(
  step: Step,
  executor: StepExecutor,
  state: RunState,
): Promise<GateOutcome> {
  if (step.kind === "coverage-gate") {
    return evaluateGate(step, state);
  }
  return executor.execute(step, { onOutput: (text) => state.emit({ type: "output", step, text }) });
}

/**
 * Judges each subject the needed test steps measure on their merged coverage maps, in the order
 * the subjects first appear; a step that wrote no map fails its subject.
 */
function evaluateGate(gate: Step, { steps, coverageMaps }: RunState): GateOutcome {
  const bySubject = new Map<string, { path: string; map: CoverageMap | undefined }[]>();
  for (const step of steps) {
    if (gate.needs.includes(step.id) && step.coverageSubject && step.coverageMap) {
      const maps = bySubject.get(step.coverageSubject) ?? [];
      maps.push({ path: step.coverageMap, map: coverageMaps.get(step.id) });
      bySubject.set(step.coverageSubject, maps);
    }
  }
  const report = [...bySubject].map(([subject, maps]) =>
    evaluateCoverage(subject, maps, gate.coverageThreshold),
  );
  const problems = report.flatMap((entry) =>
    entry.problems.map((problem) => `${entry.subject}: ${problem}`),
  );
  return {
    exitCode: problems.length === 0 ? 0 : 1,
    logTail: problems.join("\n"),
    coverageReport: report,
  };
}

/** Rejects duplicate ids, needs on unknown steps and cycles before anything runs. */
export function validateStepGraph(steps: readonly Step[]): void {
  const ids = new Set<string>();
  for (const step of steps) {
    if (ids.has(step.id)) {
      throw new StepGraphError(`duplicate step id "${step.id}"`);
    }
    ids.add(step.id);
  }
  for (const step of steps) {
    const unknown = step.needs.find((id) => !ids.has(id));
    if (unknown !== undefined) {
      throw new StepGraphError(`step "${step.id}" needs unknown step "${unknown}"`);
    }
  }
  const byId = new Map(steps.map((step) => [step.id, step]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) {
      return;
    }
    const start = visiting.indexOf(id);
    if (start !== -1) {
      throw new StepGraphError(
        `step graph has a cycle: ${[...visiting.slice(start), id].join(" -> ")}`,
      );
    }
    visiting.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      visit(need);
    }
    visiting.pop();
    done.add(id);
  };
  for (const step of steps) {
    visit(step.id);
  }
}

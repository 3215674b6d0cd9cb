import * as z from "zod";
import type { DeployTarget, ServiceInfo } from "../services/catalog.js";
import type { RunPlace } from "./annotations.js";
import type { DeployPlan } from "./deploy-plan.js";
import type { Clock, WorkerDeployer } from "./ports.js";

/**
 * A deploy's journal: written before the run changes anything (its plan and every planned
 * service's pre-run version), then one entry per step as it happens, and a last entry when the
 * run has ended. A run whose journal has no end was cut short (a kill -9, a lost machine, a
 * cancelled CI job), and `recover` puts what it touched back (run-recover.ts). Entries are
 * appended one at a time and each is durable before the step it announces starts, so the
 * journal never claims less than happened; it may claim a step started that never did, which
 * recovery reads as "maybe" and checks against what Cloudflare serves.
 */

export const JOURNAL_STEPS = [
  /** wrangler deploy / versions upload is about to start: a new version may appear from here. */
  "deploy-started",
  /** The new version is live (or, gradual, uploaded); `version` names it. */
  "deployed",
  /** Health and smoke tests passed on the new version. */
  "verified",
  "failed",
  "rollback-started",
  "rolled-back",
  "rollback-failed",
] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

const plannedSchema = z.object({
  kind: z.literal("planned"),
  run: z.string(),
  target: z.string(),
  at: z.string(),
  /** The host process that ran it, so recovery can tell whether it still runs. */
  runner: z.object({ pid: z.number().int(), startTime: z.string().optional() }).optional(),
  /** Service names per wave, in deploy order. */
  waves: z.array(z.array(z.string())),
  /** Each planned service's version before the run (null: never deployed; absent: unknown). */
  previous: z.record(z.string(), z.string().nullable()),
});

const stepSchema = z.object({
  kind: z.literal("step"),
  at: z.string(),
  service: z.string(),
  step: z.enum(JOURNAL_STEPS),
  version: z.string().optional(),
});

/** A child process of the run (wrangler, in its own process group) that may outlive it. */
const childSchema = z.object({
  kind: z.literal("child"),
  at: z.string(),
  pid: z.number().int(),
  startTime: z.string().optional(),
});

const endedSchema = z.object({
  kind: z.literal("ended"),
  at: z.string(),
  /**
   * deployed: every service verified; rolled-back: the run put back all it changed itself;
   * recovered: `recover` did. A run that could not put everything back writes no end, so the
   * next `recover` (or deploy) finishes the job.
   */
  outcome: z.enum(["deployed", "rolled-back", "recovered"]),
});

export const journalEntrySchema = z.discriminatedUnion("kind", [
  plannedSchema,
  stepSchema,
  childSchema,
  endedSchema,
]);
export type JournalEntry = z.infer<typeof journalEntrySchema>;
export type JournalChild = z.infer<typeof childSchema>;
/** A process as the host identifies it: a pid, and its start time where the OS gives one. */
export interface JournalProcess {
  pid: number;
  startTime?: string | undefined;
}

/**
 * Where journals are kept: `.pipeline/journal` on the host. A journal is named by its key, the
 * run id and the moment it began: one run id can deploy more than once (a CI job's retry, a
 * test naming its run), and each deploy gets a journal of its own.
 */
export interface JournalStore {
  /** Appends one entry to journal `key`, durably, before returning. */
  append(target: DeployTarget, key: string, entry: JournalEntry): Promise<void>;
  /**
   * The same, done before returning to the caller's event loop, where the store can (the host's
   * file store): a child's pid must be on disk before anything can kill the run, or a kill
   * right after the child started would leave a wrangler nobody knows to wait for.
   */
  appendNow?(target: DeployTarget, key: string, entry: JournalEntry): void;
  /** Every journal kept for `target`, with the entries read back (a torn last line dropped). */
  runs(target: DeployTarget): Promise<{ key: string; entries: JournalEntry[] }[]>;
}

/** What a journal says about one service of its run. */
export interface JournaledService {
  service: string;
  wave: number;
  /** undefined: the run never recorded it (it failed to read it). */
  previous: string | null | undefined;
  /** The last step recorded, if any. */
  last?: JournalStep;
  /** The newest version the journal names (deployed). */
  version?: string;
}

/** A run as its journal tells it. */
export interface JournaledRun {
  /** The journal's key in its store (absent for a run read from the deployment history). */
  key?: string;
  run: string;
  target: string;
  startedAt: string;
  runner?: JournalProcess;
  waves: string[][];
  services: JournaledService[];
  children: JournalChild[];
  ended?: z.infer<typeof endedSchema>["outcome"];
}

/** Reads one journal's entries into a run; undefined when it has no plan (torn at its start). */
export function foldJournal(
  entries: readonly JournalEntry[],
  key?: string,
): JournaledRun | undefined {
  const [planned] = entries;
  if (planned?.kind !== "planned") return undefined;
  const services = new Map<string, JournaledService>();
  planned.waves.forEach((wave, index) => {
    for (const service of wave) {
      services.set(service, { service, wave: index + 1, previous: planned.previous[service] });
    }
  });
  const run: JournaledRun = {
    ...(key === undefined ? {} : { key }),
    run: planned.run,
    target: planned.target,
    startedAt: planned.at,
    ...(planned.runner === undefined ? {} : { runner: planned.runner }),
    waves: planned.waves,
    services: [...services.values()],
    children: [],
  };
  for (const entry of entries.slice(1)) {
    if (entry.kind === "step") {
      // A step after the end reopens the run: a release rolling back a stage it had finished.
      delete run.ended;
      const service = services.get(entry.service);
      if (service === undefined) continue;
      service.last = entry.step;
      if (entry.step === "deployed" && entry.version !== undefined) service.version = entry.version;
    } else if (entry.kind === "child") {
      run.children.push(entry);
    } else if (entry.kind === "ended") {
      run.ended = entry.outcome;
    }
  }
  return run;
}

/** The newest run of `target` whose journal has no end, if any. */
export async function newestUnfinishedRun(
  store: JournalStore,
  target: DeployTarget,
): Promise<JournaledRun | undefined> {
  const runs = (await store.runs(target)).flatMap(
    ({ key, entries }) => foldJournal(entries, key) ?? [],
  );
  return runs
    .filter((run) => run.ended === undefined)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}

/** Services whose version the run may have changed: those it started deploying. */
export function touchedServices(run: JournaledRun): JournaledService[] {
  return run.services.filter((service) => service.last !== undefined);
}

/**
 * One run's journal as the deploy writes it. A journal that cannot be written stops the run
 * before anything changes (`begin` throws); a step that cannot be appended later is reported by
 * `onWriteError` and the deploy goes on: stopping a deploy half-way to protect its journal would
 * cause the very state the journal is for.
 */
export class DeployJournal {
  private places = new Map<string, RunPlace>();
  private writes: Promise<void> = Promise.resolve();
  private key: string;
  /**
   * Between its plan and its end (or a later step, which reopens it): only then is a child
   * process this run's own.
   */
  private open = false;

  constructor(
    private readonly store: JournalStore,
    readonly run: string,
    private readonly target: DeployTarget,
    private readonly clock: Clock,
    private readonly onWriteError: (line: string) => void,
    private readonly runner?: JournalProcess,
  ) {
    this.key = `${run}.${clock.now()}`;
  }

  /**
   * Reads every planned service's serving version (in parallel) and writes the plan with them.
   * Returns the versions read, for the run to use as each service's pre-run version.
   */
  async begin(plan: DeployPlan, deployer: WorkerDeployer): Promise<Map<string, string | null>> {
    const previous = new Map<string, string | null>();
    await Promise.all(
      plan.waves.flat().map(async (service) => {
        try {
          previous.set(
            service.name,
            (await deployer.deploymentHistory(service, plan.target)).at(-1) ?? null,
          );
        } catch {
          // The service's own record step reads again and fails the run with the reason.
        }
      }),
    );
    plan.waves.forEach((wave, index) => {
      for (const service of wave) {
        this.places.set(service.name, { run: this.run, wave: index + 1, waves: plan.waves.length });
      }
    });
    await this.store.append(this.target, this.key, {
      kind: "planned",
      run: this.run,
      target: this.target,
      at: this.now(),
      ...(this.runner === undefined ? {} : { runner: pruned(this.runner) }),
      waves: plan.waves.map((wave) => wave.map((service) => service.name)),
      previous: Object.fromEntries(previous),
    });
    this.open = true;
    return previous;
  }

  /** The service's place in the plan, for its upload's annotation. */
  placeOf(service: ServiceInfo): RunPlace | undefined {
    return this.places.get(service.name);
  }

  step(service: ServiceInfo, step: JournalStep, version?: string): Promise<void> {
    this.open = true;
    return this.write({
      kind: "step",
      at: this.now(),
      service: service.name,
      step,
      ...(version === undefined ? {} : { version }),
    });
  }

  /**
   * A wrangler the run started in a process group of its own, which a kill -9 leaves running.
   * One started before the plan is written or after the end is not recorded: it belongs to
   * another run of the same process (a release's other stage, a recovery first), and a line
   * ahead of the plan would leave the journal unreadable.
   */
  child(child: JournalProcess): Promise<void> {
    if (!this.open) return Promise.resolve();
    const entry: JournalEntry = { kind: "child", at: this.now(), ...pruned(child) };
    if (this.store.appendNow === undefined) return this.write(entry);
    try {
      this.store.appendNow(this.target, this.key, entry);
    } catch (error) {
      this.onWriteError(
        `deploy journal ${this.run}: could not record child ${child.pid}: ${(error as Error).message}`,
      );
    }
    return Promise.resolve();
  }

  end(outcome: z.infer<typeof endedSchema>["outcome"]): Promise<void> {
    this.open = false;
    return this.write({ kind: "ended", at: this.now(), outcome });
  }

  /** Entries go out in order, each after the one before it is durable. */
  private write(entry: JournalEntry): Promise<void> {
    this.writes = this.writes.then(() =>
      this.store.append(this.target, this.key, entry).catch((error: unknown) => {
        this.onWriteError(
          `deploy journal ${this.run}: could not record ${describe(entry)}: ${(error as Error).message}`,
        );
      }),
    );
    return this.writes;
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function pruned({ pid, startTime }: JournalProcess): JournalProcess {
  return startTime === undefined ? { pid } : { pid, startTime };
}

function describe(entry: JournalEntry): string {
  return entry.kind === "step" ? `${entry.service} ${entry.step}` : entry.kind;
}

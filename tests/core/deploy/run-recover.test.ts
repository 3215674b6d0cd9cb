import { describe, expect, it } from "vitest";
import {
  DeployJournal,
  type DeployPlan,
  type JournalStore,
  MemoryJournalStore,
  newestUnfinishedRun,
  type RecoverContext,
  RunStillRunningError,
  renderRecover,
  runDeploy,
  runFromHistory,
  runRecover,
  runRelease,
  type ServiceHistory,
} from "#core";
import { FakeCloud, fakeContext, service, virtualClock } from "../../helpers/fakes.js";

const db = service("db");
const auth = service("auth", ["db"]);
const queue = service("queue", ["db"]);
const gateway = service("gateway", ["auth", "queue"]);
const ALL = [db, auth, queue, gateway];

const plan: DeployPlan = {
  target: "production",
  waves: [[db], [auth, queue], [gateway]],
  smokeTests: {},
  selection: "test",
};

function seeded(): FakeCloud {
  const cloud = new FakeCloud();
  for (const { name } of ALL) cloud.seed(name, `old-${name}`);
  return cloud;
}

function recoverContext(
  cloud: FakeCloud,
  journals: MemoryJournalStore,
  extra: Partial<RecoverContext> = {},
): RecoverContext {
  return {
    ...fakeContext(cloud),
    services: ALL,
    journals,
    readHistory: async () => {
      throw new Error("the history is read only when no journal names an unfinished run");
    },
    ...extra,
  };
}

/**
 * A deploy that dies in wave 2 the way a kill -9 does: its journal stops mid-run, and what it
 * had deployed stays. The journal's writes are let through until `onDeploy` of `dieAt`.
 */
async function crashedRun(cloud: FakeCloud, journals: MemoryJournalStore, dieAt: string) {
  const journal = new DeployJournal(journals, "run-1", "production", virtualClock(), () => {});
  let dead = false;
  const frozen: typeof journals = Object.assign(Object.create(journals), {
    append: (target: string, key: string, entry: Parameters<typeof journals.append>[2]) =>
      dead ? new Promise<void>(() => {}) : journals.append(target, key, entry),
  });
  Object.assign(journal, { store: frozen });
  cloud.onDeploy = (name) => {
    if (name === dieAt) dead = true;
  };
  const context = { ...fakeContext(cloud), journal };
  // The run never ends: like a killed process, it is simply not awaited.
  void runDeploy(context, plan);
  await new Promise<void>((resolve) => {
    const check = () =>
      dead && cloud.serving(dieAt) !== `old-${dieAt}` ? resolve() : setImmediate(check);
    check();
  });
}

/** Every entry of `target`'s journals, as "<kind>" or "step <service> <step>" lines. */
async function lines(journals: JournalStore, target: string): Promise<string[]> {
  return (await journals.runs(target)).flatMap(({ entries }) =>
    entries.map((entry) =>
      entry.kind === "step" ? `step ${entry.service} ${entry.step}` : entry.kind,
    ),
  );
}

/**
 * A one-wave run of db to production whose journal ends at db's deploy starting, as a kill
 * there leaves it (`at`: the minute it started; `runner`: the pid that ran it, when journaled).
 */
async function killedInDeployOfDb(
  journals: MemoryJournalStore,
  run: string,
  at: string,
  { runner }: { runner?: number } = {},
): Promise<void> {
  await journals.append("production", `${run}.1`, {
    kind: "planned",
    run,
    target: "production",
    at: `${at}:00.000Z`,
    ...(runner === undefined ? {} : { runner: { pid: runner } }),
    waves: [["db"]],
    previous: { db: "old-db" },
  });
  await journals.append("production", `${run}.1`, {
    kind: "step",
    at: `${at}:01.000Z`,
    service: "db",
    step: "deploy-started",
  });
}

/**
 * A virtual clock on whose third sleep the dead run's wrangler lands db's version "late-db" and
 * then ends (`end`): what recover has to wait out.
 */
function lateLandingClock(cloud: ReturnType<typeof seeded>, end: () => void) {
  const clock = virtualClock();
  let polls = 0;
  return {
    now: clock.now,
    sleep: async (ms: number) => {
      await clock.sleep(ms);
      if (++polls === 3) {
        cloud.history.get("db")?.push("late-db");
        end();
      }
    },
  };
}

describe("deploy journal", () => {
  it("records the plan with every pre-run version before the first deploy, each step, and the end", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    const journal = new DeployJournal(journals, "run-1", "production", virtualClock(), () => {});
    const report = await runDeploy({ ...fakeContext(cloud), journal }, plan);
    expect(report.ok).toBe(true);
    const [first] = await journals.runs("production");
    expect(first?.entries[0]).toMatchObject({
      kind: "planned",
      run: "run-1",
      waves: [["db"], ["auth", "queue"], ["gateway"]],
      previous: { db: "old-db", auth: "old-auth", queue: "old-queue", gateway: "old-gateway" },
    });
    expect((await lines(journals, "production")).slice(1, 4)).toEqual([
      "step db deploy-started",
      "step db deployed",
      "step db verified",
    ]);
    expect((await lines(journals, "production")).at(-1)).toBe("ended");
    expect(await newestUnfinishedRun(journals, "production")).toBeUndefined();
    expect(journal.placeOf(gateway)).toEqual({ run: "run-1", wave: 3, waves: 3 });
  });

  it("stays open when the run could not put a service back, so recover finishes the job", async () => {
    const cloud = seeded();
    cloud.unhealthy.add("gateway");
    cloud.failRollback.add("auth");
    const journals = new MemoryJournalStore();
    const journal = new DeployJournal(journals, "run-1", "production", virtualClock(), () => {});
    const report = await runDeploy({ ...fakeContext(cloud), journal }, plan);
    expect(report.ok).toBe(false);
    expect(await lines(journals, "production")).toContain("step auth rollback-failed");
    const open = await newestUnfinishedRun(journals, "production");
    expect(open?.run).toBe("run-1");

    cloud.failRollback.delete("auth");
    const recovered = await runRecover(recoverContext(cloud, journals), { dryRun: false });
    expect(recovered.ok).toBe(true);
    expect(cloud.serving("auth")).toBe("old-auth");
    expect(await newestUnfinishedRun(journals, "production")).toBeUndefined();
  });

  it("records a child only between its plan and its end: another stage's stays out", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    const journal = new DeployJournal(journals, "run-1", "production", virtualClock(), () => {});
    await journal.child({ pid: 101 });
    cloud.onDeploy = () => {
      void journal.child({ pid: 202 });
    };
    const report = await runDeploy({ ...fakeContext(cloud), journal }, plan);
    expect(report.ok).toBe(true);
    await journal.child({ pid: 303 });
    const [only] = await journals.runs("production");
    expect(only?.entries[0]?.kind).toBe("planned");
    expect(only?.entries.flatMap((entry) => (entry.kind === "child" ? [entry.pid] : []))).toEqual([
      202, 202, 202, 202,
    ]);
    expect((await lines(journals, "production")).at(-1)).toBe("ended");
  });
});

describe("a release's journals", () => {
  /** Staging then production, one journal each, production interrupted as auth deploys. */
  async function interruptedRelease(staging: FakeCloud, journals: MemoryJournalStore) {
    const production = seeded();
    const controller = new AbortController();
    production.onDeploy = (name) => {
      if (name === "auth") controller.abort("SIGINT");
    };
    const stage = (cloud: FakeCloud, target: string) => ({
      context: {
        ...fakeContext(cloud),
        target,
        interrupt: controller.signal,
        journal: new DeployJournal(journals, "release-1", target, virtualClock(), () => {}),
      },
      plan: { ...plan, target },
    });
    const report = await runRelease(
      [stage(staging, "staging"), stage(production, "production")],
      virtualClock(),
    );
    expect(report.ok).toBe(false);
    expect(await newestUnfinishedRun(journals, "production")).toBeUndefined();
  }

  it("end a finished stage again once a later stage's interruption has rolled it back", async () => {
    const journals = new MemoryJournalStore();
    await interruptedRelease(seeded(), journals);
    const [staging] = await journals.runs("staging");
    expect(staging?.entries.filter((entry) => entry.kind === "ended")).toMatchObject([
      { outcome: "deployed" },
      { outcome: "rolled-back" },
    ]);
    expect(await newestUnfinishedRun(journals, "staging")).toBeUndefined();
  });

  it("reopen a finished stage whose rollback failed, so recover finishes it", async () => {
    const staging = seeded();
    staging.failRollback.add("auth");
    const journals = new MemoryJournalStore();
    await interruptedRelease(staging, journals);
    const open = await newestUnfinishedRun(journals, "staging");
    expect(open?.run).toBe("release-1");
    expect(open?.services.find((entry) => entry.service === "auth")?.last).toBe("rollback-failed");

    staging.failRollback.delete("auth");
    const recovered = await runRecover(
      { ...recoverContext(staging, journals), target: "staging" },
      { dryRun: false },
    );
    expect(recovered.ok).toBe(true);
    expect(staging.serving("auth")).toBe("old-auth");
    expect(await newestUnfinishedRun(journals, "staging")).toBeUndefined();
  });
});

describe("runRecover", () => {
  it("puts every service a killed run touched back, last wave first, and ends its journal", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    await crashedRun(cloud, journals, "queue");
    expect(cloud.serving("db")).not.toBe("old-db");
    cloud.events.length = 0;

    const report = await runRecover(recoverContext(cloud, journals), { dryRun: false });
    expect(report.ok).toBe(true);
    expect(report.run).toMatchObject({ id: "run-1", source: "journal" });
    for (const { name } of ALL) expect(cloud.serving(name)).toBe(`old-${name}`);
    // Wave 2 (auth, queue) before wave 1 (db); gateway was never started, so never touched.
    expect(cloud.events.indexOf("rollback db")).toBeGreaterThan(
      cloud.events.indexOf("rollback queue"),
    );
    expect(cloud.events).not.toContain("rollback gateway");
    expect(report.services.map((entry) => [entry.service, entry.action])).toEqual(
      expect.arrayContaining([
        ["db", "rolled-back"],
        ["queue", "rolled-back"],
      ]),
    );
    expect(renderRecover(report).split("\n")[0]).toMatch(
      /^recover production: recovered run run-1 .*: (auth|queue) on old-/,
    );
    expect(await newestUnfinishedRun(journals, "production")).toBeUndefined();

    const again = await runRecover(
      recoverContext(cloud, journals, { readHistory: async () => [] }),
      { dryRun: false },
    );
    expect(again.run).toBeUndefined();
    expect(renderRecover(again).split("\n")[0]).toBe("recover production: nothing to recover");
  });

  it("shows the plan and changes nothing with dryRun", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    await crashedRun(cloud, journals, "auth");
    const before = ALL.map(({ name }) => cloud.serving(name));
    const report = await runRecover(recoverContext(cloud, journals), { dryRun: true });
    expect(ALL.map(({ name }) => cloud.serving(name))).toEqual(before);
    expect(report.services.find((entry) => entry.service === "db")).toMatchObject({
      action: "would-roll-back",
      preRunVersion: "old-db",
    });
    expect(await newestUnfinishedRun(journals, "production")).toBeDefined();
  });

  it("refuses while the run's own process still runs, and waits for a child it left running", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    await killedInDeployOfDb(journals, "run-2", "2026-11-26T12:00", { runner: 10 });
    await journals.append("production", "run-2.1", {
      kind: "child",
      at: "2026-11-26T12:00:01.000Z",
      pid: 11,
    });
    const alive = new Set([10, 11]);
    const context = recoverContext(cloud, journals, { isRunning: (pid) => alive.has(pid) });
    await expect(runRecover(context, { dryRun: false })).rejects.toThrow(RunStillRunningError);

    alive.delete(10);
    // The child lands its version while recover waits, then exits.
    const waiting = { ...context, clock: lateLandingClock(cloud, () => alive.delete(11)) };
    const report = await runRecover(waiting, { dryRun: false });
    expect(report.services[0]).toMatchObject({ foundVersion: "late-db", action: "rolled-back" });
    expect(cloud.serving("db")).toBe("old-db");
    expect(report.notes[0]).toMatch(/^waited .* for the run's wrangler \(pid 11\) to end$/);
  });

  it("waits for a process carrying the run's mark that its journal never named, and ends one that outlasts the wait", async () => {
    const cloud = seeded();
    const journals = new MemoryJournalStore();
    await killedInDeployOfDb(journals, "run-3", "2026-11-26T12:00");
    // The kill came between the wrangler's start and its journal line: only its mark names it.
    const marked = new Set([21]);
    const ended: number[][] = [];
    const progress: string[] = [];
    const context = recoverContext(cloud, journals, {
      progress: (line) => progress.push(line),
      runProcesses: {
        live: async (run) => (run === "run-3" ? [...marked] : []),
        end: async (_run, pids) => {
          ended.push(pids);
          marked.clear();
        },
      },
      clock: lateLandingClock(cloud, () => marked.delete(21)),
    });
    // A dry run names what is still running, and neither waits for it nor ends it.
    const dry = await runRecover(context, { dryRun: true });
    expect(dry.notes[0]).toMatch(
      /^run run-3 still has pid 21 running \(a wrangler that may yet land its version\): recover waits up to \S+ ?s for it before putting anything back, then ends it$/,
    );
    expect(progress).toEqual([]);
    expect([...marked]).toEqual([21]);

    const report = await runRecover(context, { dryRun: false });
    expect(progress[0]).toMatch(
      /^waiting up to .* for what run run-3 left running to end \(pid 21\)$/,
    );
    expect(report.notes[0]).toMatch(/^waited .* for the run's wrangler \(pid 21\) to end$/);
    expect(report.services[0]).toMatchObject({ foundVersion: "late-db", action: "rolled-back" });
    expect(cloud.serving("db")).toBe("old-db");
    expect(ended).toEqual([]);

    // Now one that never ends by itself: after the wait it is ended, and recover goes on.
    await killedInDeployOfDb(journals, "run-4", "2026-11-26T13:00");
    const stuck = new Set([31]);
    const stuckContext = recoverContext(cloud, journals, {
      clock: virtualClock(),
      runProcesses: {
        live: async () => [...stuck],
        end: async (_run, pids) => {
          ended.push(pids);
          stuck.clear();
        },
      },
    });
    const second = await runRecover(stuckContext, { dryRun: false, childWaitMs: 5_000 });
    expect(ended).toEqual([[31]]);
    expect(second.notes[0]).toMatch(
      /^the run's wrangler \(pid 31\) still ran after 5(\.0)? ?s: ended it with its process group/,
    );
    expect(second.ok).toBe(true);
  });

  it("without a journal, finds the named run in the deployment history by its annotations", async () => {
    const cloud = seeded();
    const at = (minute: number) => Date.parse(`2026-11-26T12:0${minute}:00Z`);
    const deployment = (minute: number, version: string, message?: string) => ({
      createdOn: at(minute),
      versions: [{ versionId: version, percentage: 100 }],
      annotations: message ? { "workers/message": message } : ({} as Record<string, string>),
    });
    const histories: ServiceHistory[] = [
      {
        service: "db",
        worker: "db-production",
        versions: [],
        deployments: [
          deployment(0, "old-db"),
          deployment(1, "db-v9", `commit ${"a".repeat(40)} run gh-42-1 wave 1/3`),
        ],
      },
      {
        service: "auth",
        worker: "auth-production",
        versions: [],
        deployments: [deployment(0, "old-auth"), deployment(2, "auth-v9", "run gh-42-1 wave 2/3")],
      },
      { service: "gateway", worker: "gateway-production", versions: [], deployments: [] },
    ];
    cloud.history.get("db")?.push("db-v9");
    cloud.history.get("auth")?.push("auth-v9");
    const context = recoverContext(cloud, new MemoryJournalStore(), {
      readHistory: async () => histories,
    });

    const unnamed = await runRecover(context, { dryRun: false });
    expect(unnamed.run).toBeUndefined();
    expect(unnamed.notes[0]).toContain("--run gh-42-1");
    expect(cloud.serving("db")).toBe("db-v9");

    const report = await runRecover(context, { dryRun: false, run: "gh-42-1" });
    expect(report.run).toMatchObject({ id: "gh-42-1", source: "history" });
    expect(cloud.serving("db")).toBe("old-db");
    expect(cloud.serving("auth")).toBe("old-auth");
    expect(runFromHistory("gh-42-1", ALL, histories)?.waves).toEqual([["db"], ["auth"], []]);
  });
});

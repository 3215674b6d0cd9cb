import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CommitTimes,
  computeDora,
  type DeploymentRecord,
  gitCommitTimes,
  median,
  originCommits,
  p90,
  parseDeployments,
  parseSince,
  parseVersions,
  type ServiceHistory,
  type VersionRecord,
} from "#core";

interface RawService {
  deployments: unknown[];
  versions: unknown[];
}
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures/production-history.json"), "utf8"),
) as { services: Record<string, RawService>; gitLog: string };

/** The fixture through the same parsers wrangler's output goes through. */
const recorded: ServiceHistory[] = Object.entries(fixture.services).map(([service, raw]) => ({
  service,
  worker: service,
  deployments: parseDeployments(JSON.stringify(raw.deployments), `${service} deployments`),
  versions: parseVersions(JSON.stringify(raw.versions), `${service} versions`),
}));

/** Commit times from the recorded `git log` output, through the real parser. */
async function recordedCommits(): Promise<CommitTimes> {
  return gitCommitTimes(async () => ({ exitCode: 0, stdout: fixture.gitLog, stderr: "" }))(
    originCommits(recorded),
  );
}

const NOW = Date.parse("2026-11-29T12:00:00Z");
const HOUR = 3_600_000;
const MINUTE = 60_000;
const C = (digit: number) => `c${digit}`.repeat(20);
const input = (since: string) => ({
  target: "production" as const,
  since: parseSince(since),
  now: NOW,
});

describe("DORA metrics of a recorded production history (answers computed by hand)", () => {
  // The window is 2026-11-15 12:00 to 2026-11-29 12:00 UTC. Run 100-1 (11-10) is before it.
  // In it, oldest first:
  //   101-1 (C1, committed 09:00+01:00 = 08:00Z) db 11-16 10:00, gateway 10:05 -> lead 2h05m
  //   102-1 (C2) db 11-18 12:00, auth 12:03, gateway 12:06; rolled back gateway 12:09, auth 12:10,
  //         db 12:11 -> failed, restored 12:11 - 12:00 = 11m
  //   103-1 (C3, 11-20 15:00, its origin only on the deployment's message) gateway at 10% on
  //         11-21 09:00, 100% at 11:00 -> lead 20h
  //   auth@a1000003 deployed 11-22 14:00 without the annotation -> counted, no lead time
  //   (db's secret change 11-23 08:00 deploys nothing)
  //   104-1 (C4) db 11-24 10:00, rolled back by hand 11-25 09:00 -> failed, restored after 23h
  //   105-1 (C5, not in the clone) gateway 11-27 12:00 -> no lead time
  const compute = async () => computeDora(recorded, await recordedCommits(), input("14d"));

  it("finds the six deploy runs in the window, each with its services and outcome", async () => {
    const report = await compute();
    expect(report.runs.map((run) => [run.id, run.services, run.failed])).toEqual([
      ["101-1", ["db", "gateway"], false],
      ["102-1", ["auth", "db", "gateway"], true],
      ["103-1", ["gateway"], false],
      ["auth@a1000003-0000-4000-8000-000000000000", ["auth"], false],
      ["104-1", ["db"], true],
      ["105-1", ["gateway"], false],
    ]);
    expect(report.runs[0]).toEqual({
      id: "101-1",
      commit: C(1),
      services: ["db", "gateway"],
      start: "2026-11-16T10:00:00.000Z",
      completedAt: "2026-11-16T10:05:00.000Z",
      commitTime: "2026-11-16T08:00:00.000Z",
      leadTimeMs: 2 * HOUR + 5 * MINUTE,
      failed: false,
    });
    expect(report.runs[1]).toMatchObject({
      rolledBackAt: "2026-11-18T12:11:00.000Z",
      restoreMs: 11 * MINUTE,
    });
    expect(report.runs[1]).not.toHaveProperty("leadTimeMs");
    expect(report.runs[2]).toMatchObject({ commit: C(3), leadTimeMs: 20 * HOUR });
    expect(report.runs[3]).not.toHaveProperty("commit");
    expect(report.runs[4]).toMatchObject({ restoreMs: 23 * HOUR });
    expect(report.runs[5]).toMatchObject({ commit: C(5) });
    expect(report.runs[5]).not.toHaveProperty("commitTime");
    expect(report.rollbacks).toBe(4);
  });

  it("deployment frequency: 6 runs in 14 days, high (between once a week and once a day)", async () => {
    expect((await compute()).deploymentFrequency).toEqual({
      runs: 6,
      perDay: 6 / 14,
      perWeek: 3,
      band: "high",
    });
  });

  it("lead time: median of 2h05m and 20h is 11h02m30s, elite; no p90 below 10 runs", async () => {
    expect((await compute()).leadTime).toEqual({
      runs: 2,
      medianMs: 11 * HOUR + 2.5 * MINUTE,
      band: "elite",
      excluded: { failed: 2, unannotated: 1, unknownCommit: 1, incomplete: 0 },
    });
  });

  it("change failure rate: 2 of 6 runs, low", async () => {
    expect((await compute()).changeFailureRate).toEqual({
      failed: 2,
      runs: 6,
      rate: 2 / 6,
      band: "low",
    });
  });

  it("time to restore: median of 11m and 23h is 11h35m30s, high", async () => {
    expect((await compute()).timeToRestore).toEqual({
      runs: 2,
      medianMs: 11 * HOUR + 35.5 * MINUTE,
      band: "high",
    });
  });

  it("says which runs have no lead time and why", async () => {
    expect((await compute()).notes).toEqual([
      `1 run deployed versions without the pipeline's "commit <sha> run <id>" annotation: counted, with no lead time`,
      "1 run deployed a commit this clone does not have (a shallow clone?): no lead time",
    ]);
  });

  it("does not depend on the order the API lists deployments in", async () => {
    const newestFirst = recorded.map((service) => ({
      ...service,
      deployments: [...service.deployments].reverse(),
    }));
    expect(computeDora(newestFirst, await recordedCommits(), input("14d"))).toEqual(
      await compute(),
    );
  });

  it("counts a run when its start is in the window, the window's start included", async () => {
    const commits = await recordedCommits();
    // 105-1 started exactly 48h before now.
    expect(computeDora(recorded, commits, input("48h")).runs.map((run) => run.id)).toEqual([
      "105-1",
    ]);
    expect(computeDora(recorded, commits, input("47h")).runs).toEqual([]);
  });
});

// Small histories for the edge cases: one service, times in minutes after T0.
const T0 = Date.parse("2026-11-29T00:00:00Z");
const at = (minutes: number) => T0 + minutes * MINUTE;
const sha = (n: number) => n.toString(16).padStart(40, "0");
const origin = (n: number) => `commit ${sha(n)} run r${n}`;

function deployment(
  minutes: number,
  versions: Record<string, number>,
  trigger: string,
  message?: string,
): DeploymentRecord {
  return {
    createdOn: at(minutes),
    versions: Object.entries(versions).map(([versionId, percentage]) => ({
      versionId,
      percentage,
    })),
    annotations: {
      "workers/triggered_by": trigger,
      ...(message === undefined ? {} : { "workers/message": message }),
    },
  };
}

function service(
  deployments: DeploymentRecord[],
  versions: Record<string, { number: number; message?: string }> = {},
  name = "db",
): ServiceHistory {
  return {
    service: name,
    worker: name,
    deployments,
    versions: Object.entries(versions).map(([id, version]): VersionRecord => {
      const annotations: Record<string, string> = {};
      if (version.message !== undefined) annotations["workers/message"] = version.message;
      return { id, number: version.number, annotations };
    }),
  };
}

/** Every commit n committed n hours before T0. */
const commitsAt = (...ns: number[]): CommitTimes => ({
  times: new Map(ns.map((n) => [sha(n), T0 - n * HOUR])),
});
const day = { target: "production" as const, since: parseSince("1d"), now: at(600) };

describe("DORA metric edge cases", () => {
  it("no deploys: every metric is no data, with no band", () => {
    const report = computeDora([service([])], commitsAt(), day);
    expect(report.runs).toEqual([]);
    expect(report.deploymentFrequency).toEqual({ runs: 0, perDay: 0, perWeek: 0 });
    expect(report.leadTime).not.toHaveProperty("medianMs");
    expect(report.leadTime).not.toHaveProperty("band");
    expect(report.changeFailureRate).toEqual({ failed: 0, runs: 0 });
    expect(report.timeToRestore).toEqual({ runs: 0 });
  });

  it("a service never rolled back: 0% failures (elite) and no time to restore", () => {
    const history = service(
      [deployment(10, { v1: 100 }, "upload"), deployment(20, { v2: 100 }, "upload")],
      { v1: { number: 1, message: origin(1) }, v2: { number: 2, message: origin(2) } },
    );
    const report = computeDora([history], commitsAt(1, 2), day);
    expect(report.changeFailureRate).toEqual({ failed: 0, runs: 2, rate: 0, band: "elite" });
    expect(report.timeToRestore).toEqual({ runs: 0 });
    // v1: 1h before T0 to T0+10m; v2: 2h before T0 to T0+20m.
    expect(report.leadTime.medianMs).toBe(((70 + 140) / 2) * MINUTE);
  });

  it("a deploy without the annotation is counted but has no lead time", () => {
    const history = service([deployment(10, { v1: 100 }, "upload")], { v1: { number: 1 } });
    const report = computeDora([history], commitsAt(), day);
    expect(report.deploymentFrequency.runs).toBe(1);
    expect(report.leadTime).toMatchObject({ runs: 0, excluded: { unannotated: 1 } });
  });

  it("a rollout still at 10% has no lead time yet", () => {
    const history = service(
      [deployment(10, { v1: 100 }, "upload"), deployment(20, { v2: 10, v1: 90 }, "promotion")],
      { v1: { number: 1, message: origin(1) }, v2: { number: 2, message: origin(2) } },
    );
    const report = computeDora([history], commitsAt(1, 2), day);
    expect(report.runs.map((run) => run.completedAt !== undefined)).toEqual([true, false]);
    expect(report.leadTime.excluded.incomplete).toBe(1);
  });

  it("deploying an older version again starts no new run and keeps its completion", () => {
    const history = service(
      [
        deployment(10, { v1: 100 }, "upload"),
        deployment(20, { v2: 100 }, "upload"),
        deployment(30, { v1: 100 }, "promotion"),
      ],
      { v1: { number: 1, message: origin(1) }, v2: { number: 2, message: origin(2) } },
    );
    const report = computeDora([history], commitsAt(1, 2), day);
    expect(report.runs.map((run) => [run.id, run.completedAt, run.failed])).toEqual([
      ["r1", new Date(at(10)).toISOString(), false],
      ["r2", new Date(at(20)).toISOString(), false],
    ]);
  });

  it("a rollback from a split rolls back only the version it stops serving", () => {
    const history = service(
      [
        deployment(10, { v1: 100 }, "upload"),
        deployment(20, { v2: 10, v1: 90 }, "promotion"),
        deployment(35, { v1: 100 }, "rollback"),
      ],
      { v1: { number: 1, message: origin(1) }, v2: { number: 2, message: origin(2) } },
    );
    const report = computeDora([history], commitsAt(1, 2), day);
    expect(report.runs.map((run) => [run.id, run.failed, run.restoreMs])).toEqual([
      ["r1", false, undefined],
      ["r2", true, 15 * MINUTE],
    ]);
  });

  it("a run's versions on several services: one run, restored when its last rollback lands", () => {
    const db = service(
      [
        deployment(0, { d1: 100 }, "upload"),
        deployment(10, { d2: 100 }, "upload"),
        deployment(25, { d1: 100 }, "rollback"),
      ],
      { d1: { number: 1, message: origin(1) }, d2: { number: 2, message: origin(2) } },
    );
    const gateway = service(
      [
        deployment(0, { g1: 100 }, "upload"),
        deployment(12, { g2: 100 }, "upload"),
        deployment(20, { g1: 100 }, "rollback"),
      ],
      { g1: { number: 1, message: origin(1) }, g2: { number: 2, message: origin(2) } },
      "gateway",
    );
    const report = computeDora([db, gateway], commitsAt(1, 2), day);
    expect(report.runs.map((run) => [run.id, run.services, run.failed])).toEqual([
      ["r1", ["db", "gateway"], false],
      ["r2", ["db", "gateway"], true],
    ]);
    // From db's d2 going live (10) to db's rollback (25), the later of the two.
    expect(report.runs[1]?.restoreMs).toBe(15 * MINUTE);
    expect(report.changeFailureRate.rate).toBe(0.5);
  });

  it("a rollback of a secret change counts against the run whose version it copied", () => {
    const history = service(
      [
        deployment(0, { v1: 100 }, "upload"),
        deployment(10, { v2: 100 }, "upload"),
        deployment(30, { v3: 100 }, "secret"),
        deployment(50, { v1: 100 }, "rollback"),
      ],
      {
        v1: { number: 1, message: origin(1) },
        v2: { number: 2, message: origin(2) },
        v3: { number: 3 },
      },
    );
    const report = computeDora([history], commitsAt(1, 2), day);
    expect(report.runs.map((run) => [run.id, run.failed])).toEqual([
      ["r1", false],
      ["r2", true],
    ]);
    // The failure is taken to start when the secret change went live.
    expect(report.runs[1]?.restoreMs).toBe(20 * MINUTE);
  });

  it("notes a rollback of a version deployed before the listed history", () => {
    const history = service(
      [deployment(10, { v7: 100 }, "rollback"), deployment(20, { v9: 100 }, "upload")],
      { v7: { number: 7 }, v9: { number: 9, message: origin(9) } },
    );
    const report = computeDora([history], commitsAt(9), day);
    expect(report.runs).toHaveLength(1);
    expect(report.rollbacks).toBe(1);
    expect(report.notes).toContain(
      "1 rollback replaced a version deployed before the listed history: counted against no run",
    );
  });

  it("notes a service whose listed history starts inside the window, unless it starts at version 1", () => {
    const truncated = service([deployment(10, { v7: 100 }, "upload")], { v7: { number: 7 } });
    const complete = service(
      [deployment(10, { v1: 100 }, "upload")],
      { v1: { number: 1 } },
      "auth",
    );
    expect(computeDora([truncated, complete], commitsAt(), day).notes).toEqual([
      expect.stringContaining("annotation"),
      "db: Cloudflare lists its deployments only from 2026-11-29T00:10:00.000Z; earlier ones in the window are not counted",
    ]);
  });

  it("reports a git that could not read commit times, and gives no lead time", () => {
    const history = service([deployment(10, { v1: 100 }, "upload")], {
      v1: { number: 1, message: origin(1) },
    });
    const report = computeDora(
      [history],
      { times: new Map(), problem: "git log could not read commit times: not a git repository" },
      day,
    );
    expect(report.notes[0]).toBe("git log could not read commit times: not a git repository");
    expect(report.leadTime.excluded.unknownCommit).toBe(1);
  });

  it("shows p90 from 10 runs up, by nearest rank", () => {
    const runs = (count: number) =>
      service(
        Array.from({ length: count }, (_, i) => deployment(i, { [`v${i + 1}`]: 100 }, "upload")),
        Object.fromEntries(
          Array.from({ length: count }, (_, i) => [
            `v${i + 1}`,
            { number: i + 1, message: origin(i + 1) },
          ]),
        ),
      );
    const all = commitsAt(...Array.from({ length: 10 }, (_, i) => i + 1));
    expect(computeDora([runs(9)], all, day).leadTime).not.toHaveProperty("p90Ms");
    const ten = computeDora([runs(10)], all, day).leadTime;
    // Lead times are n hours + (n - 1) minutes for n = 1..10: p90 is the 9th, 9h08m.
    expect(ten.p90Ms).toBe(9 * HOUR + 8 * MINUTE);
    expect(ten.medianMs).toBe((5 * HOUR + 4 * MINUTE + 6 * HOUR + 5 * MINUTE) / 2);
  });
});

describe("median and p90", () => {
  it("median: the middle value, or the mean of the two middle ones", () => {
    expect(median([])).toBeUndefined();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("p90: nearest rank", () => {
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(9);
    expect(p90([...Array.from({ length: 20 }, (_, i) => 20 - i)])).toBe(18);
  });
});

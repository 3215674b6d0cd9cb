import { describe, expect, it } from "vitest";
import {
  type Clock,
  type DeployContext,
  type DeployPlan,
  type GradualPolicy,
  judgeWindow,
  LOCAL_TARGET,
  RolloutOptionError,
  renderJson,
  renderMarkdown,
  renderTerminal,
  resolveRollout,
  runDeploy,
  uploadedVersion,
  type VersionTraffic,
  withVersionOverride,
  wranglerArgs,
} from "#core";
import { FakeCloud, fakeContext, service, virtualClock } from "../../helpers/fakes.js";

// The gradual strategy's policy with an in-memory Cloudflare: which steps run, how a window is
// judged, when it stops early or waits for traffic, the bake after 100% and what happens when
// one fails or the run is interrupted. The same policy against real traffic is in
// local-cloud-gradual.test.ts.

const db = service("db");
const auth = service("auth", ["db"]);

/** One poll per window (pollMs = windowMs) unless a test asks for more; no bake. */
const policy: GradualPolicy = {
  steps: [10, 50, 100],
  windowMs: 60_000,
  maxErrorRate: 0.05,
  maxLatencyRatio: 2,
  latencyFloorMs: 50,
  minSample: 20,
  maxWaitMs: 60_000,
  pollMs: 60_000,
  bakeMs: 0,
  probesPerSecond: 0,
};

function plan(): DeployPlan {
  return {
    target: "production",
    waves: [[db], [auth]],
    smokeTests: {
      auth: [{ name: "health", method: "GET", path: "/health", expectStatus: 200 }],
    },
    selection: "test",
  };
}

function seeded(): FakeCloud {
  const cloud = new FakeCloud();
  cloud.seed("db", "old-db");
  cloud.seed("auth", "old-auth");
  return cloud;
}

const metrics = (
  versionId: string,
  requests: number,
  serverErrors: number,
  p95Ms?: number,
  clientErrors = 0,
): VersionTraffic => ({
  versionId,
  requests,
  serverErrors,
  clientErrors,
  exceptions: 0,
  p95Ms,
  sampleInterval: 1,
});

/** Old versions healthy and fast; new versions as `fresh` says (by default just as good). */
function traffic(
  cloud: FakeCloud,
  fresh: (versionId: string) => VersionTraffic = (id) => metrics(id, 40, 0, 12),
) {
  cloud.metricsOf = (id) => (id.startsWith("old-") ? metrics(id, 360, 1, 10) : fresh(id));
}

function gradualContext(
  cloud: FakeCloud,
  clock: Clock = virtualClock(),
  tuned: Partial<GradualPolicy> = {},
): DeployContext {
  return {
    ...fakeContext(cloud, clock),
    gradual: { policy: { ...policy, ...tuned }, metrics: cloud.metrics() },
  };
}

const reads = (cloud: FakeCloud, worker: string) =>
  cloud.windows.filter((window) => window.worker === worker);

describe("gradual rollout policy", () => {
  it("uploads, checks the new version by override at 0%, then moves 10 → 50 → 100 with a window each", async () => {
    const cloud = seeded();
    traffic(cloud);
    const clock = virtualClock();
    const report = await runDeploy(gradualContext(cloud, clock), plan());
    expect(report.ok).toBe(true);
    const version = report.services.find((entry) => entry.service === "auth")?.newVersion;
    expect(cloud.events.filter((event) => event.includes("auth"))).toEqual([
      "upload auth",
      `split auth ${version}@0 old-auth@100`,
      `split auth ${version}@10 old-auth@90`,
      `split auth ${version}@50 old-auth@50`,
      `split auth ${version}@100`,
    ]);
    const authReport = report.services.find((entry) => entry.service === "auth");
    // Health and smoke answered from the new version while users stayed on the old one.
    expect(authReport?.health?.observedVersion).toBe(version);
    expect(authReport?.smoke.every((result) => result.ok)).toBe(true);
    expect(authReport?.steps?.map((step) => [step.percentage, step.analysis?.verdict])).toEqual([
      [0, undefined],
      [10, "pass"],
      [50, "pass"],
      [100, undefined],
    ]);
    expect(authReport?.steps?.[1]?.analysis?.checks.map((check) => check.check)).toEqual([
      "5xx-ceiling",
      "5xx-vs-old",
      "4xx-vs-old",
      "p95-ratio",
    ]);
    // A read per window, each as long as the policy says, then one over the whole rollout.
    const authReads = reads(cloud, "auth-production");
    expect(authReads).toHaveLength(3);
    for (const window of authReads.slice(0, 2)) {
      expect(window.until.getTime() - window.since.getTime()).toBe(60_000);
    }
    expect(authReport?.exposure).toMatchObject({ newVersionErrors: 0, requests: 400, rate: 0 });
    expect(cloud.serving("auth")).toBe(version);
    expect(report.gradual).toEqual(policy);
    expect(report.incident).toBeUndefined();
  });

  it("stops at 10% on 5xx above the ceiling: that service back to 100% old first, then the rest", async () => {
    const cloud = seeded();
    traffic(cloud, (id) =>
      id.startsWith("auth") ? metrics(id, 40, 8, 12) : metrics(id, 40, 0, 12),
    );
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.ok).toBe(false);
    const authReport = report.services.find((entry) => entry.service === "auth");
    expect(authReport?.outcome).toBe("failed");
    expect(authReport?.failure).toMatch(
      /^analysis at 10%: fail: 5xx 20\.0% \(8\/40, 0 exceptions\) is above the 5\.0% ceiling/,
    );
    expect(authReport?.steps?.map((step) => step.percentage)).toEqual([0, 10]);
    expect(authReport?.rollback).toMatchObject({ outcome: "rolled-back", toVersion: "old-auth" });
    // auth's own rollback comes before db's (the run's), and auth is not rolled back twice.
    const rollbacks = cloud.events.filter((event) => event.startsWith("rollback"));
    expect(rollbacks).toEqual(["rollback auth", "rollback db"]);
    expect(report.recoveryMs).toBeTypeOf("number");
    expect(cloud.serving("auth")).toBe("old-auth");
    expect(cloud.serving("db")).toBe("old-db");
    expect(cloud.events.some((event) => /^split auth .*@50/.test(event))).toBe(false);
    // Users' exposure: the new version's errors over every request in the rollout.
    expect(authReport?.exposure).toMatchObject({ newVersionErrors: 8, requests: 400, rate: 0.02 });
    expect(report.incident?.title).toMatch(
      /^Deploy to production rolled back: auth failed canary analysis/,
    );
    expect(report.incident?.body).toContain("| 10% | 360 req, 5xx 0.3%");
    expect(renderTerminal(report)).toContain("incident issue (filed by the deploy workflow's");
  });

  it("stops the window at the first poll that is conclusive: 10 failures in 12 requests", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 12, 10, 12));
    const report = await runDeploy(
      gradualContext(cloud, virtualClock(), { pollMs: 5_000 }),
      plan(),
    );
    const dbReport = report.services[0];
    expect(dbReport?.steps?.[1]?.watch).toMatchObject({
      polls: 1,
      elapsedMs: 5_000,
      stoppedEarly: true,
    });
    expect(dbReport?.failure).toMatch(/^analysis at 10%: fail: 5xx 83\.3% \(10\/12/);
    expect(cloud.serving("db")).toBe("old-db");
  });

  it("does not stop early on a few errors that could still be chance", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 10, 1, 12));
    const report = await runDeploy(
      gradualContext(cloud, virtualClock(), { pollMs: 5_000, minSample: 10 }),
      plan(),
    );
    // 1 in 10 is not significant mid-window (against the ceiling or the old version's 1 in
    // 360); at the window's end it is above the 5% ceiling.
    const watch = report.services[0]?.steps?.[1]?.watch;
    expect(watch).toMatchObject({ polls: 12, stoppedEarly: false });
    expect(report.services[0]?.failure).toMatch(/^analysis at 10%: fail: 5xx 10\.0% \(1\/10/);
  });

  it("fails a 4xx spike the old version does not have (a broken auth check)", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 40, 0, 12, 30));
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.services[0]?.failure).toMatch(
      /^analysis at 10%: fail: 4xx 75\.0% \(30\/40\) vs old 0\.0% \(0\/360\), p=<0\.001 < 0\.05/,
    );
  });

  it("stops a version whose p95 is above twice the old one's, and keeps the numbers in the report", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 40, 0, id.startsWith("auth") ? 250 : 12));
    const report = await runDeploy(gradualContext(cloud), plan());
    const authReport = report.services.find((entry) => entry.service === "auth");
    expect(authReport?.failure).toContain("p95 250.0 ms is above the 50.0 ms ceiling");
    const step = authReport?.steps?.[1];
    expect(step?.analysis).toMatchObject({
      verdict: "fail",
      old: { requests: 360, serverErrors: 1, p95Ms: 10 },
      new: { requests: 40, serverErrors: 0, p95Ms: 250 },
    });
    const terminal = renderTerminal(report);
    expect(terminal).toContain("gradual: 10% → 50% → 100%, 60.0s windows");
    expect(terminal).toMatch(
      /10% {2}360 req, 5xx 0\.3%, 4xx 0\.0%, 0 exc, p95 10\.0 ms {2}40 req, 5xx 0\.0%, 4xx 0\.0%, 0 exc, p95 250\.0 ms {2}FAIL: p95 250\.0 ms/,
    );
    expect(terminal).toContain("unsampled");
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| step | old | new | verdict |");
    expect(markdown).toContain(
      "| 10% | 360 req, 5xx 0.3%, 4xx 0.0%, 0 exc, p95 10.0 ms | 40 req, 5xx 0.0%, 4xx 0.0%, 0 exc, p95 250.0 ms | FAIL:",
    );
    expect(JSON.parse(renderJson(report)).services[1].steps[1].analysis.verdict).toBe("fail");
  });

  it("waits past the window for the minimum sample, then passes on it", async () => {
    const cloud = seeded();
    const clock = virtualClock();
    const started = clock.now();
    // Two new requests per 10 s: 12 by the window's end, 20 after 100 s.
    cloud.metricsOf = (id, since, until) => {
      const seconds = (until.getTime() - since.getTime()) / 1000;
      return id.startsWith("old-")
        ? metrics(id, 360, 0, 10)
        : metrics(id, Math.floor(seconds / 5), 0, 12);
    };
    const report = await runDeploy(gradualContext(cloud, clock, { pollMs: 10_000 }), plan());
    expect(report.ok).toBe(true);
    expect(report.services[0]?.steps?.[1]?.watch).toMatchObject({
      waitedMs: 40_000,
      stoppedEarly: false,
    });
    expect(clock.now() - started).toBeGreaterThan(0);
  });

  it("treats a window without traffic as inconclusive once it has waited its limit, which fails", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 0, 0));
    const report = await runDeploy(gradualContext(cloud), plan());
    const dbReport = report.services[0];
    expect(dbReport?.failure).toBe(
      "analysis at 10%: inconclusive: too little traffic: 5xx: 0 new requests, fewer than 20",
    );
    expect(dbReport?.steps?.[1]?.watch?.waitedMs).toBe(60_000);
    expect(cloud.serving("db")).toBe("old-db");
    expect(report.services.find((entry) => entry.service === "auth")?.outcome).toBe("skipped");
  });

  it("fails a window whose telemetry cannot be read", async () => {
    const cloud = seeded();
    cloud.metricsOf = () => {
      throw new Error("telemetry query answered HTTP 403: not authorized");
    };
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.services[0]?.failure).toBe(
      "analysis at 10%: inconclusive: could not read the telemetry: telemetry query answered HTTP 403: not authorized",
    );
    expect(report.services[0]?.exposure).toBeUndefined();
    expect(cloud.serving("db")).toBe("old-db");
  });

  it("ends a window at once on an interruption and rolls everything back", async () => {
    const cloud = seeded();
    traffic(cloud);
    const controller = new AbortController();
    const base = virtualClock();
    let windows = 0;
    // The second window (db at 50%) is interrupted half-way.
    const clock: Clock = {
      now: base.now,
      sleep: async (ms, signal) => {
        if (ms === policy.windowMs && ++windows === 2) {
          await base.sleep(ms / 2);
          controller.abort("SIGTERM");
          return;
        }
        await base.sleep(ms, signal);
      },
    };
    const report = await runDeploy(
      { ...gradualContext(cloud, clock), interrupt: controller.signal },
      plan(),
    );
    expect(report.interrupted).toEqual({ by: "SIGTERM", during: "wave 1/2 (db)" });
    const dbReport = report.services[0];
    expect(dbReport?.outcome).toBe("interrupted");
    expect(dbReport?.failure).toBe("interrupted by SIGTERM during its 50% analysis window");
    expect(dbReport?.steps?.at(-1)).toMatchObject({
      percentage: 50,
      interrupted: "after 30.0s of its window",
    });
    expect(dbReport?.rollback?.outcome).toBe("rolled-back");
    expect(cloud.serving("db")).toBe("old-db");
    expect(cloud.windows).toHaveLength(1);
    expect(cloud.events).not.toContain("upload auth");
  });

  it("deploys a first version at once: there is nothing to compare it with", async () => {
    const cloud = seeded();
    cloud.history.delete("auth");
    traffic(cloud);
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.ok).toBe(true);
    expect(report.services.map((entry) => entry.strategy)).toEqual(["gradual", "immediate"]);
    expect(cloud.events).toContain("deploy auth");
  });

  it("sends probes to both versions by override and counts them apart from users", async () => {
    const cloud = seeded();
    traffic(cloud);
    const report = await runDeploy(
      gradualContext(cloud, virtualClock(), { probesPerSecond: 0.1 }),
      plan(),
    );
    const step = report.services.find((entry) => entry.service === "auth")?.steps?.[1];
    expect(step?.probes?.map((probe) => probe.versionId)).toEqual([
      report.services[1]?.newVersion,
      "old-auth",
    ]);
    for (const probe of step?.probes ?? []) {
      expect(probe.requests).toBeGreaterThan(0);
      expect(probe.failed).toBe(0);
    }
    const probed = (report.services[1]?.steps ?? []).flatMap((s) => s.probes ?? []);
    const sent = probed.reduce((sum, probe) => sum + probe.requests, 0);
    expect(report.services[1]?.exposure?.requests).toBe(400 - sent);
    expect(renderTerminal(report)).toMatch(/probes to old-auth: \d+ \(0 5xx, 0 4xx, 0 failed\)/);
  });
});

describe("the bake after 100%", () => {
  it("rolls back a version worse than the old version's pre-deploy baseline", async () => {
    const cloud = seeded();
    // Fine during its two windows; at 100% (from 2 minutes in) it starts failing.
    const clock = virtualClock();
    const started = clock.now();
    cloud.metricsOf = (id, since) => {
      if (id.startsWith("old-")) return metrics(id, 360, 0, 10);
      return since.getTime() - started < 120_000
        ? metrics(id, 40, 0, 12)
        : metrics(id, 400, 40, 12);
    };
    const report = await runDeploy(
      gradualContext(cloud, clock, { bakeMs: 60_000, pollMs: 10_000 }),
      plan(),
    );
    const dbReport = report.services[0];
    expect(dbReport?.bake).toMatchObject({ verdict: "fail", stoppedEarly: true });
    expect(dbReport?.failure).toMatch(/^bake after 100%: 5xx 10\.0% \(40\/400/);
    expect(dbReport?.rollback).toMatchObject({ outcome: "rolled-back", toVersion: "old-db" });
    expect(cloud.serving("db")).toBe("old-db");
    expect(report.incident?.title).toContain("db failed canary analysis");
  });

  it("verifies a cron of the new version, and says when none ran", async () => {
    const cloud = seeded();
    traffic(cloud);
    cloud.crons.set("db-production", ["*/5 * * * *"]);
    cloud.scheduledOf = (id) =>
      id.startsWith("old-") ? { ok: 0, failed: 0 } : { ok: 1, failed: 0 };
    const report = await runDeploy(
      gradualContext(cloud, virtualClock(), { bakeMs: 60_000 }),
      plan(),
    );
    expect(report.ok).toBe(true);
    expect(report.services[0]?.bake).toMatchObject({
      verdict: "pass",
      scheduled: { outcome: "verified", ok: 1, fired: false },
    });
    // auth has no crons: nothing to verify.
    expect(report.services[1]?.bake?.scheduled).toBeUndefined();

    cloud.scheduledOf = () => ({ ok: 0, failed: 0 });
    const quiet = await runDeploy(
      gradualContext(cloud, virtualClock(), { bakeMs: 60_000 }),
      plan(),
    );
    expect(quiet.services[0]?.bake?.scheduled?.outcome).toBe("unverified");
    expect(renderTerminal(quiet)).toMatch(/scheduled tasks UNVERIFIED: no scheduled invocation/);
  });

  it("rolls back when a scheduled invocation of the new version failed", async () => {
    const cloud = seeded();
    traffic(cloud);
    cloud.crons.set("db-production", ["0 3 * * *"]);
    cloud.scheduledOf = () => ({ ok: 0, failed: 1 });
    const report = await runDeploy(
      gradualContext(cloud, virtualClock(), { bakeMs: 60_000 }),
      plan(),
    );
    expect(report.services[0]?.failure).toMatch(/^bake after 100%: 1 scheduled invocation/);
    expect(cloud.serving("db")).toBe("old-db");
  });
});

describe("judging one window", () => {
  const old = metrics("old", 900, 45, 20);
  it("passes at the ceilings and fails just above them", () => {
    expect(judgeWindow(old, metrics("new", 100, 5, 40), policy, true).verdict).toBe("pass");
    expect(judgeWindow(old, metrics("new", 100, 6, 40), policy, true).verdict).toBe("fail");
    expect(judgeWindow(old, metrics("new", 100, 0, 50), policy, true).verdict).toBe("pass");
    expect(judgeWindow(old, metrics("new", 100, 0, 50.1), policy, true).verdict).toBe("fail");
  });

  it("compares with the old version: significant and at least a point worse fails", () => {
    const clean = metrics("old", 900, 0, 20);
    // 3% is under the ceiling but significantly above the old version's 0%.
    expect(judgeWindow(clean, metrics("new", 200, 6, 20), policy, true)).toMatchObject({
      verdict: "fail",
      reason: expect.stringMatching(/^5xx 3\.0% \(6\/200\) vs old 0\.0% \(0\/900\)/),
    });
    // The same rate as the old version's is no regression.
    expect(
      judgeWindow(metrics("old", 900, 27, 20), metrics("new", 200, 6, 20), policy, true).verdict,
    ).toBe("pass");
  });

  it("never calls a few milliseconds of noise a regression (the latency floor)", () => {
    const fast = metrics("old", 900, 0, 2);
    expect(judgeWindow(fast, metrics("new", 100, 0, 9), policy, true)).toMatchObject({
      verdict: "pass",
    });
    expect(
      judgeWindow(fast, metrics("new", 100, 0, 9), { ...policy, latencyFloorMs: 0 }, true).verdict,
    ).toBe("fail");
  });

  it("judges latency only at the window's end, and passes nothing before it", () => {
    const slow = judgeWindow(old, metrics("new", 100, 0, 500), policy, false);
    expect(slow).toMatchObject({ verdict: "inconclusive", reason: "the window is still running" });
  });

  it("is inconclusive with too little traffic on either side", () => {
    expect(judgeWindow(old, metrics("new", 0, 0), policy, true).verdict).toBe("inconclusive");
    expect(judgeWindow(metrics("old", 0, 0), metrics("new", 30, 0, 5), policy, true)).toMatchObject(
      {
        verdict: "inconclusive",
        reason: "too little traffic: 5xx: 30 new / 0 old requests, fewer than 20 on a side",
      },
    );
  });

  it("weighs sampled counts by the events actually seen", () => {
    // 2 errors in 20 requests estimated from 2 events: too few seen to compare or pass.
    const sampled = { ...metrics("new", 20, 2, 12), sampleInterval: 10 };
    expect(judgeWindow(old, sampled, policy, true).verdict).toBe("inconclusive");
  });
});

describe("rollout options", () => {
  it("take the repository's configured strategy over the environment's default, --strategy over both", () => {
    expect(resolveRollout("staging", {}, "gradual")).toMatchObject({ strategy: "gradual" });
    expect(resolveRollout("production", {}, "immediate")).toEqual({ strategy: "immediate" });
    expect(resolveRollout("production", { strategy: "gradual" }, "immediate")).toMatchObject({
      strategy: "gradual",
    });
    expect(() => resolveRollout("production", { window: "5" }, "immediate")).toThrow(
      /^--window only applies to --strategy gradual \(production deploys immediate as workers-pipeline\.config\.json sets\)$/,
    );
  });

  it("defaults to gradual 10,50,100 in production and immediate elsewhere", () => {
    expect(resolveRollout("production", {})).toEqual({
      strategy: "gradual",
      policy: {
        steps: [10, 50, 100],
        windowMs: 60_000,
        maxErrorRate: 0.05,
        maxLatencyRatio: 2,
        latencyFloorMs: 100,
        minSample: 20,
        maxWaitMs: 300_000,
        pollMs: 7_500,
        bakeMs: 900_000,
        probesPerSecond: 0,
      },
    });
    expect(resolveRollout("staging", {})).toEqual({ strategy: "immediate" });
    expect(resolveRollout(LOCAL_TARGET, { strategy: "gradual" })).toMatchObject({
      policy: { windowMs: 5_000 },
    });
    expect(
      resolveRollout(LOCAL_TARGET, {
        strategy: "gradual",
        steps: "25, 100",
        window: "2.5",
        maxErrorRate: "1",
        maxLatencyRatio: "3",
        minSample: "10",
        maxWait: "0",
        bake: "1.5",
        probes: "2",
      }),
    ).toMatchObject({
      policy: {
        steps: [25, 100],
        windowMs: 2_500,
        maxErrorRate: 0.01,
        maxLatencyRatio: 3,
        minSample: 10,
        maxWaitMs: 0,
        pollMs: 313,
        bakeMs: 1_500,
        probesPerSecond: 2,
      },
    });
  });

  it("refuses bad input in one line naming what is valid", () => {
    const error = (options: Parameters<typeof resolveRollout>[1]) => {
      try {
        resolveRollout("production", options);
      } catch (caught) {
        expect(caught).toBeInstanceOf(RolloutOptionError);
        return (caught as Error).message;
      }
      throw new Error("accepted");
    };
    expect(error({ strategy: "foo" })).toBe(
      '--strategy: "foo" is not a strategy; valid values: gradual, immediate',
    );
    const steps =
      "is not a list of percentages from 1 to 100, rising, ending at 100, e.g. 10,50,100";
    expect(error({ steps: "10,5" })).toBe(`--steps: "10,5" ${steps}`);
    expect(error({ steps: "0,100" })).toBe(`--steps: "0,100" ${steps}`);
    expect(error({ steps: "10,50" })).toBe(`--steps: "10,50" ${steps}`);
    expect(error({ steps: "10,x,100" })).toBe(`--steps: "10,x,100" ${steps}`);
    expect(error({ window: "-1" })).toBe('--window: "-1" is not a number of seconds > 0, e.g. 60');
    expect(error({ window: "0" })).toBe('--window: "0" is not a number of seconds > 0, e.g. 60');
    expect(error({ maxErrorRate: "150" })).toBe(
      '--max-error-rate: "150" is not a percentage from 0 to 100, e.g. 5',
    );
    expect(error({ maxLatencyRatio: "0" })).toBe(
      '--max-latency-ratio: "0" is not a number > 0, e.g. 2',
    );
    expect(error({ minSample: "0" })).toBe(
      '--min-sample: "0" is not a number of requests > 0, e.g. 20',
    );
    expect(error({ bake: "-5" })).toBe('--bake: "-5" is not a number of seconds ≥ 0, e.g. 900');
    expect(error({ strategy: "immediate", steps: "10,100" })).toBe(
      "--steps only applies to --strategy gradual (production deploys immediate)",
    );
    expect(() => resolveRollout("staging", { window: "5" })).toThrow(
      "--window only applies to --strategy gradual (staging deploys immediate by default)",
    );
  });
});

describe("the wrangler commands of a gradual rollout", () => {
  const origin = { commit: "a".repeat(40), run: "9-1" };

  it("uploads with the origin annotations and deploys a split with a message", () => {
    expect(wranglerArgs.versionsUpload("production", undefined, origin)).toEqual([
      "versions",
      "upload",
      "--message",
      `commit ${"a".repeat(40)} run 9-1`,
      "--tag",
      "aaaaaaaaaaaa",
      "--env",
      "production",
    ]);
    expect(
      wranglerArgs.versionsDeploy(
        LOCAL_TARGET,
        [
          { versionId: "new", percentage: 10 },
          { versionId: "old", percentage: 90 },
        ],
        "step 10%",
      ),
    ).toEqual(["versions", "deploy", "new@10%", "old@90%", "-y", "--message", "step 10%"]);
  });

  it("finds the Worker's workers.dev URL from the upload's preview URL", () => {
    const run = (preview_url: string | null) => ({
      exitCode: 0,
      stdout: "",
      stderr: "",
      records: [{ type: "version-upload", version_id: "0f3a9c1e-1111", preview_url }],
    });
    expect(
      uploadedVersion(run("https://0f3a9c1e-auth-production.acme.workers.dev"), "auth-production"),
    ).toEqual({
      versionId: "0f3a9c1e-1111",
      urls: ["https://auth-production.acme.workers.dev"],
    });
    // Preview URLs off: no URL, so health says there is nothing to check rather than guess.
    expect(uploadedVersion(run(null), "auth-production")).toEqual({
      versionId: "0f3a9c1e-1111",
      urls: [],
    });
    expect(uploadedVersion({ ...run(null), records: [] }, "auth")).toBeUndefined();
  });

  it("pins requests to a version with Cloudflare's override header", async () => {
    const seen: Record<string, string>[] = [];
    const pinned = withVersionOverride(
      {
        request: async (request) => {
          seen.push(request.headers);
          return { status: 200, headers: {}, body: "" };
        },
      },
      "auth-production",
      "0f3a9c1e-1111",
    );
    await pinned.request({
      method: "GET",
      url: "https://x",
      headers: { accept: "*/*" },
      timeoutMs: 1,
    });
    expect(seen).toEqual([
      { accept: "*/*", "Cloudflare-Workers-Version-Overrides": 'auth-production="0f3a9c1e-1111"' },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { judgeWindow } from "../../dagger/src/core/deploy/canary-analysis.js";
import type { DeployContext } from "../../dagger/src/core/deploy/deploy-context.js";
import type { DeployPlan } from "../../dagger/src/core/deploy/deploy-plan.js";
import type { Clock } from "../../dagger/src/core/deploy/ports.js";
import {
  renderJson,
  renderMarkdown,
  renderTerminal,
} from "../../dagger/src/core/deploy/render-report.js";
import {
  type GradualPolicy,
  RolloutOptionError,
  resolveRollout,
} from "../../dagger/src/core/deploy/rollout-policy.js";
import { runDeploy } from "../../dagger/src/core/deploy/run-deploy.js";
import type { VersionMetrics } from "../../dagger/src/core/deploy/version-metrics.js";
import { withVersionOverride } from "../../dagger/src/core/deploy/version-override.js";
import { uploadedVersion, wranglerArgs } from "../../dagger/src/core/deploy/wrangler-cli.js";
import { LOCAL_TARGET } from "../../dagger/src/core/services/catalog.js";
import { FakeCloud, fakeContext, service, virtualClock } from "./fakes.js";

// The gradual strategy's policy with an in-memory Cloudflare: which steps run, how a window is
// judged, and what happens when one fails or the run is interrupted during it. The same policy
// against real traffic is in local-cloud-gradual.test.ts.

const db = service("db");
const auth = service("auth", ["db"]);

const policy: GradualPolicy = {
  steps: [10, 50, 100],
  windowMs: 60_000,
  maxErrorRate: 0.05,
  maxLatencyRatio: 2,
  latencyFloorMs: 50,
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

const metrics = (versionId: string, requests: number, errors: number, p95Ms?: number) => ({
  versionId,
  requests,
  errors,
  p95Ms,
});

/** Old versions healthy and fast; new versions as `fresh` says (by default just as good). */
function traffic(
  cloud: FakeCloud,
  fresh: (versionId: string) => VersionMetrics = (id) => metrics(id, 40, 0, 12),
) {
  cloud.metricsOf = (id) => (id.startsWith("old-") ? metrics(id, 360, 1, 10) : fresh(id));
}

function gradualContext(cloud: FakeCloud, clock: Clock = virtualClock()): DeployContext {
  return { ...fakeContext(cloud, clock), gradual: { policy, metrics: cloud.metrics() } };
}

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
    // Two windows per service, each as long as the policy says, read right after it.
    expect(cloud.windows.filter((window) => window.service === "auth")).toHaveLength(2);
    for (const window of cloud.windows) {
      expect(window.until.getTime() - window.since.getTime()).toBe(60_000);
    }
    expect(clock.slept.filter((ms) => ms === 60_000)).toHaveLength(4);
    expect(cloud.serving("auth")).toBe(version);
    expect(report.gradual).toEqual(policy);
  });

  it("stops at 10% on errors above the ceiling: that service back to 100% old first, then the rest", async () => {
    const cloud = seeded();
    traffic(cloud, (id) =>
      id.startsWith("auth") ? metrics(id, 40, 8, 12) : metrics(id, 40, 0, 12),
    );
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.ok).toBe(false);
    const authReport = report.services.find((entry) => entry.service === "auth");
    expect(authReport?.outcome).toBe("failed");
    expect(authReport?.failure).toMatch(
      /^analysis at 10%: fail: error rate 20\.0% \(8\/40\) is above the 5\.0% ceiling/,
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
      old: { requests: 360, errors: 1, p95Ms: 10 },
      new: { requests: 40, errors: 0, p95Ms: 250 },
    });
    const terminal = renderTerminal(report);
    expect(terminal).toContain("gradual: 10% → 50% → 100%, 60.0s windows");
    expect(terminal).toMatch(
      /10% {2}360 req, 0\.3% errors, p95 10\.0 ms {2}40 req, 0\.0% errors, p95 250\.0 ms {2}FAIL: p95 250\.0 ms/,
    );
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| step | old | new | verdict |");
    expect(markdown).toContain(
      "| 10% | 360 req, 0.3% errors, p95 10.0 ms | 40 req, 0.0% errors, p95 250.0 ms | FAIL:",
    );
    expect(JSON.parse(renderJson(report)).services[1].steps[1].analysis.verdict).toBe("fail");
  });

  it("treats a window without traffic to the new version as inconclusive, which fails", async () => {
    const cloud = seeded();
    traffic(cloud, (id) => metrics(id, 0, 0));
    const report = await runDeploy(gradualContext(cloud), plan());
    const dbReport = report.services.find((entry) => entry.service === "db");
    expect(dbReport?.failure).toBe(
      "analysis at 10%: inconclusive: the new version served no requests in the window",
    );
    expect(cloud.serving("db")).toBe("old-db");
    expect(report.services.find((entry) => entry.service === "auth")?.outcome).toBe("skipped");
  });

  it("fails a window whose metrics cannot be read", async () => {
    const cloud = seeded();
    cloud.metricsOf = () => {
      throw new Error("analytics API answered HTTP 403: not authorized");
    };
    const report = await runDeploy(gradualContext(cloud), plan());
    expect(report.services[0]?.failure).toBe(
      "analysis at 10%: inconclusive: could not read the window's metrics: analytics API answered HTTP 403: not authorized",
    );
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
});

describe("judging one window", () => {
  const old = metrics("old", 900, 9, 20);
  it("passes at the ceilings and fails just above them", () => {
    expect(judgeWindow(old, metrics("new", 100, 5, 40), policy).verdict).toBe("pass");
    expect(judgeWindow(old, metrics("new", 100, 6, 40), policy).verdict).toBe("fail");
    expect(judgeWindow(old, metrics("new", 100, 0, 50), policy).verdict).toBe("pass");
    expect(judgeWindow(old, metrics("new", 100, 0, 50.1), policy).verdict).toBe("fail");
  });

  it("never calls a few milliseconds of noise a regression (the latency floor)", () => {
    const fast = metrics("old", 900, 0, 2);
    expect(judgeWindow(fast, metrics("new", 100, 0, 9), policy)).toMatchObject({
      verdict: "pass",
    });
    expect(
      judgeWindow(fast, metrics("new", 100, 0, 9), { ...policy, latencyFloorMs: 0 }).verdict,
    ).toBe("fail");
  });

  it("is inconclusive when either version served nothing", () => {
    expect(judgeWindow(old, metrics("new", 0, 0), policy).verdict).toBe("inconclusive");
    expect(judgeWindow(metrics("old", 0, 0), metrics("new", 10, 0, 5), policy)).toMatchObject({
      verdict: "inconclusive",
      reason: "the old version served no requests in the window: no latency to compare with",
    });
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
      }),
    ).toMatchObject({
      policy: { steps: [25, 100], windowMs: 2_500, maxErrorRate: 0.01, maxLatencyRatio: 3 },
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

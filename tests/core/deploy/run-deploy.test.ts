import { describe, expect, it } from "vitest";
import {
  type DeployPlan,
  isWorkerNotFound,
  NothingToRollBackError,
  pollHealth,
  renderMarkdown,
  renderTerminal,
  runDeploy,
  runRelease,
  runRollback,
  UnfinishedRollbacks,
  wranglerFailure,
} from "#core";
import { FakeCloud, fakeContext, service, virtualClock } from "../../helpers/fakes.js";

const db = service("db");
const auth = service("auth", ["db"]);
const queue = service("queue", ["db"]);
const gateway = service("gateway", ["auth", "queue"]);

function plan(smoke: DeployPlan["smokeTests"] = {}): DeployPlan {
  return {
    target: "production",
    waves: [[db], [auth, queue], [gateway]],
    smokeTests: smoke,
    selection: "test",
  };
}

function seeded(): FakeCloud {
  const cloud = new FakeCloud();
  for (const name of ["db", "auth", "queue", "gateway"]) cloud.seed(name, `old-${name}`);
  return cloud;
}

describe("runDeploy", () => {
  it("deploys wave by wave and reports old and new versions", async () => {
    const cloud = seeded();
    const report = await runDeploy(fakeContext(cloud), plan());
    expect(report.ok).toBe(true);
    expect(cloud.events).toEqual(["deploy db", "deploy auth", "deploy queue", "deploy gateway"]);
    const gatewayReport = report.services.find((entry) => entry.service === "gateway");
    expect(gatewayReport).toMatchObject({ previousVersion: "old-gateway", outcome: "deployed" });
    expect(gatewayReport?.newVersion).toBe(cloud.serving("gateway"));
  });

  it("polls each service's own health path (from the pipeline config)", async () => {
    const cloud = new FakeCloud();
    cloud.seed("db", "old-db");
    const context = fakeContext(cloud);
    const urls: string[] = [];
    const report = await runDeploy(
      {
        ...context,
        http: {
          request: async (request) => {
            urls.push(request.url);
            return context.http.request(request);
          },
        },
      },
      { ...plan(), waves: [[{ ...db, healthPath: "/ready" }]] },
    );
    expect(report.ok).toBe(true);
    expect(urls).toEqual(["http://db.test/ready"]);
  });

  it("stops later waves and rolls back every deployed service, last wave first", async () => {
    const cloud = seeded();
    cloud.unhealthy.add("auth");
    const report = await runDeploy(fakeContext(cloud), plan());
    expect(report.ok).toBe(false);
    expect(cloud.events).not.toContain("deploy gateway");
    expect(cloud.events.slice(3)).toEqual(
      expect.arrayContaining(["rollback auth", "rollback queue"]),
    );
    expect(cloud.events.at(-1)).toBe("rollback db");
    for (const name of ["db", "auth", "queue", "gateway"]) {
      expect(cloud.serving(name)).toBe(`old-${name}`);
    }
    expect(report.services.find((entry) => entry.service === "gateway")?.outcome).toBe("skipped");
    expect(report.services.find((entry) => entry.service === "auth")?.failure).toMatch(/^health:/);
    expect(report.recoveryMs).toBeTypeOf("number");
  });

  it("says plainly that a first deploy has nothing to roll back to", async () => {
    const cloud = seeded();
    cloud.history.delete("queue");
    cloud.failDeploy.add("auth");
    const report = await runDeploy(fakeContext(cloud), plan());
    const queueReport = report.services.find((entry) => entry.service === "queue");
    expect(queueReport?.rollback?.outcome).toBe("nothing-to-roll-back");
    expect(renderTerminal(report)).toContain("first deploy: nothing to roll back");
    expect(report.services.find((entry) => entry.service === "auth")?.failure).toContain(
      "worker startup",
    );
  });

  it("puts a failed rollback on the top line with the command that finishes it", async () => {
    const cloud = seeded();
    cloud.unhealthy.add("gateway");
    cloud.failRollback.add("auth");
    const report = await runDeploy(fakeContext(cloud), plan());
    const [first] = renderTerminal(report).split("\n");
    expect(first).toContain("ROLLBACK FAILED: auth (production)");
    expect(first).toContain(
      "pnpm run pipeline rollback --service auth --env production --to old-auth",
    );
    expect(renderMarkdown(report).split("\n")[0]).toBe("> [!CAUTION]");
    expect(cloud.serving("db")).toBe("old-db");
  });

  it("fails a smoke test whose JSON does not match and rolls back", async () => {
    const cloud = seeded();
    const report = await runDeploy(
      fakeContext(cloud),
      plan({
        gateway: [
          {
            name: "health shape",
            method: "GET",
            path: "/health",
            expectStatus: 200,
            expectJson: { service: "gw" },
          },
        ],
      }),
    );
    expect(report.ok).toBe(false);
    expect(report.services.find((entry) => entry.service === "gateway")?.failure).toBe(
      'smoke "health shape": body $.service: expected "gw", got "gateway"',
    );
    expect(cloud.serving("gateway")).toBe("old-gateway");
  });
});

describe("an interrupted run", () => {
  /** A context whose run is interrupted by `signal` as `service`'s deploy starts. */
  function interruptedAt(cloud: FakeCloud, name: string, signal = "SIGTERM") {
    const controller = new AbortController();
    cloud.onDeploy = (deploying) => {
      if (deploying === name) controller.abort(signal);
    };
    return { ...fakeContext(cloud), interrupt: controller.signal };
  }

  it("lets the deploy under way end, starts no later wave and rolls back all it changed", async () => {
    const cloud = seeded();
    const report = await runDeploy(interruptedAt(cloud, "auth"), plan());
    expect(report).toMatchObject({
      ok: false,
      interrupted: { by: "SIGTERM", during: "wave 2/3 (auth, queue)" },
    });
    expect(Object.keys(report)[0]).toBe("interrupted");
    expect(cloud.events).not.toContain("deploy gateway");
    expect(cloud.events.at(-1)).toBe("rollback db");
    for (const name of ["db", "auth", "queue", "gateway"]) {
      expect(cloud.serving(name)).toBe(`old-${name}`);
    }
    const auth = report.services.find((entry) => entry.service === "auth");
    expect(auth).toMatchObject({
      outcome: "interrupted",
      failure: "interrupted by SIGTERM once its deploy had finished",
    });
    expect(report.services.find((entry) => entry.service === "gateway")?.failure).toBe(
      "not deployed: interrupted by SIGTERM",
    );
    const [first] = renderTerminal(report).split("\n");
    expect(first).toMatch(
      /^!!! INTERRUPTED by SIGTERM during wave 2\/3 \(auth, queue\): no deploy was started after it; \d of \d service\(s\) this run deployed rolled back$/,
    );
    expect(renderMarkdown(report).split("\n")[1]).toMatch(/^> \*\*INTERRUPTED by SIGTERM/);
  });

  it("does not start a deploy the interruption came before, even while it was being prepared", async () => {
    const cloud = seeded();
    const controller = new AbortController();
    cloud.onPrepare = (name) => {
      if (name === "auth") controller.abort("SIGINT");
    };
    const report = await runDeploy({ ...fakeContext(cloud), interrupt: controller.signal }, plan());
    expect(cloud.events).not.toContain("deploy auth");
    expect(report.services.find((entry) => entry.service === "auth")).toMatchObject({
      outcome: "interrupted",
      failure: "interrupted by SIGINT before its code was deployed",
    });
    expect(report.services.find((entry) => entry.service === "auth")?.newVersion).toBeUndefined();
    expect(cloud.serving("db")).toBe("old-db");
  });

  it("keeps the commands that finish its rollback by hand current while it runs", async () => {
    const cloud = seeded();
    const unfinished = new UnfinishedRollbacks();
    const seen: string[][] = [];
    cloud.onDeploy = (name) => {
      if (name === "gateway") seen.push(unfinished.lines());
    };
    cloud.unhealthy.add("gateway");
    await runDeploy({ ...fakeContext(cloud), unfinished }, plan());
    // While gateway deployed, db, auth and queue were out and gateway on its way.
    expect(seen[0]).toEqual([
      "pnpm run pipeline rollback --service db --env production --to old-db",
      "pnpm run pipeline rollback --service auth --env production --to old-auth",
      "pnpm run pipeline rollback --service queue --env production --to old-queue",
      "pnpm run pipeline rollback --service gateway --env production --to old-gateway",
    ]);
    expect(unfinished.lines()).toEqual([]);
  });

  it("rolls back every stage of a release, production first, then staging", async () => {
    const staging = seeded();
    const production = seeded();
    const controller = new AbortController();
    production.onDeploy = (name) => {
      if (name === "auth") controller.abort("SIGINT");
    };
    const report = await runRelease(
      [
        {
          context: { ...fakeContext(staging), interrupt: controller.signal },
          plan: { ...plan(), target: "staging" },
        },
        { context: { ...fakeContext(production), interrupt: controller.signal }, plan: plan() },
      ],
      virtualClock(),
    );
    expect(report).toMatchObject({
      ok: false,
      interrupted: { by: "SIGINT", during: "the production deploy, wave 2/3 (auth, queue)" },
    });
    for (const cloud of [staging, production]) {
      for (const name of ["db", "auth", "queue", "gateway"]) {
        expect(cloud.serving(name)).toBe(`old-${name}`);
      }
    }
    expect(renderTerminal(report).split("\n")[0]).toMatch(
      /^!!! INTERRUPTED by SIGINT during the production deploy, wave 2\/3 \(auth, queue\): .* rolled back$/,
    );
  });

  it("does not stop a rollback command: it runs to its end and reports the interruption", async () => {
    const cloud = new FakeCloud();
    cloud.history.set("db", ["old-a", "old-b"]);
    const controller = new AbortController();
    controller.abort("SIGTERM");
    const report = await runRollback(
      { ...fakeContext(cloud), interrupt: controller.signal },
      db,
      undefined,
    );
    expect(report).toMatchObject({ ok: true, interrupted: { by: "SIGTERM" } });
    expect(cloud.serving("db")).toBe("old-a");
    expect(renderTerminal(report).split("\n")[0]).toBe(
      "!!! INTERRUPTED by SIGTERM during the rollback of db: the rollback went on to its end; db-production rolled back to old-a and healthy",
    );
  });
});

describe("a failing D1 migration", () => {
  it("stops its service before the code, rolls back the run and says what D1 keeps", async () => {
    const cloud = seeded();
    cloud.migrations.set("auth", [
      { database: "auth-db", applied: ["0001_ok.sql"], failed: "0002_broken.sql" },
    ]);
    const report = await runDeploy(fakeContext(cloud), plan());
    expect(cloud.events).not.toContain("deploy auth");
    expect(cloud.serving("db")).toBe("old-db");
    const auth = report.services.find((entry) => entry.service === "auth");
    expect(auth?.failure).toBe(
      'migrations: wrangler d1 migrations apply auth-db: 0002_broken.sql failed: near ";": syntax error; its code was not deployed',
    );
    expect(auth?.migrations).toEqual([
      { database: "auth-db", applied: ["0001_ok.sql"], failed: "0002_broken.sql" },
    ]);
    expect(renderTerminal(report)).toContain(
      "⚠ auth: D1 auth-db keeps 0001_ok.sql, applied by this run (0002_broken.sql failed); D1 is not rolled back",
    );
  });
});

describe("pollHealth", () => {
  it("backs off exponentially and gives up at the overall timeout", async () => {
    const clock = virtualClock();
    const http = { request: async () => ({ status: 503, headers: {}, body: "{}" }) };
    const result = await pollHealth(http, clock, "http://x", undefined, {
      timeoutMs: 5_000,
      initialDelayMs: 200,
      maxDelayMs: 1_000,
      requestTimeoutMs: 1_000,
    });
    expect(result.ok).toBe(false);
    expect(clock.slept).toEqual([200, 400, 800, 1_000, 1_000, 1_000]);
    expect(result.failure).toMatch(/^not healthy after 5\.0s \(7 attempts\)/);
  });

  it("waits until the expected version answers", async () => {
    let calls = 0;
    const http = {
      request: async () => ({
        status: 200,
        headers: {},
        body: JSON.stringify({ status: "ok", version: ++calls < 3 ? "old" : "new" }),
      }),
    };
    const result = await pollHealth(http, virtualClock(), "http://x", "new", {
      timeoutMs: 5_000,
      initialDelayMs: 100,
      maxDelayMs: 100,
      requestTimeoutMs: 100,
    });
    expect(result).toMatchObject({ ok: true, attempts: 3, observedVersion: "new" });
  });

  it("with the status contract, takes any 2xx and needs no JSON or version", async () => {
    const policy = {
      timeoutMs: 1_000,
      initialDelayMs: 100,
      maxDelayMs: 100,
      requestTimeoutMs: 100,
    };
    const answering = (status: number) => ({
      request: async () => ({ status, headers: {}, body: "Hello, World!" }),
    });
    const plain = await pollHealth(answering(200), virtualClock(), "http://x", "new", policy);
    expect(plain.failure).toMatch(/status 200, not JSON: Hello, World!$/);
    const status = (code: number) =>
      pollHealth(answering(code), virtualClock(), "http://x", "new", policy, undefined, "status");
    expect(await status(204)).toMatchObject({ ok: true, attempts: 1 });
    expect((await status(500)).failure).toMatch(/last: status 500, body Hello, World!$/);
  });
});

describe("runRollback", () => {
  it("returns to the previous deployment's version by default", async () => {
    const cloud = new FakeCloud();
    cloud.history.set("db", ["old-a", "old-b"]);
    const report = await runRollback(fakeContext(cloud), db, undefined);
    expect(report).toMatchObject({ ok: true, fromVersion: "old-b" });
    expect(cloud.serving("db")).toBe("old-a");
  });

  it("refuses when there is nothing earlier", async () => {
    const cloud = new FakeCloud();
    cloud.seed("db", "old-a");
    await expect(runRollback(fakeContext(cloud), db, undefined)).rejects.toThrow(
      NothingToRollBackError,
    );
  });
});

describe("runRelease", () => {
  it("never reaches production when staging fails", async () => {
    const staging = seeded();
    staging.unhealthy.add("db");
    const production = seeded();
    const report = await runRelease(
      [
        { context: fakeContext(staging), plan: { ...plan(), target: "staging" } },
        { context: fakeContext(production), plan: plan() },
      ],
      virtualClock(),
    );
    expect(report).toMatchObject({ ok: false, stoppedAt: "staging deploy failed" });
    expect(report.stages).toHaveLength(1);
    expect(production.events).toEqual([]);
  });

  it("validates staging and then deploys production", async () => {
    const staging = seeded();
    const production = seeded();
    const report = await runRelease(
      [
        { context: fakeContext(staging), plan: { ...plan(), target: "staging" } },
        { context: fakeContext(production), plan: plan() },
      ],
      virtualClock(),
    );
    expect(report.ok).toBe(true);
    expect(report.stages[0]?.validation.every((result) => result.ok)).toBe(true);
    expect(production.events).toHaveLength(4);
  });
});

describe("wranglerFailure", () => {
  it("adds the API's notes that wrangler printed under [ERROR]", () => {
    const message = wranglerFailure({
      exitCode: 1,
      stdout: "",
      stderr: [
        "✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m A request to the Cloudflare API failed.",
        "",
        "  Uncaught Error: crash at start-up [code: 10021]",
        "",
        "  If you think this is a bug, please open an issue at: https://example.invalid",
      ].join("\n"),
      records: [{ type: "command-failed", message: "A request to the Cloudflare API failed." }],
    });
    expect(message).toBe(
      "A request to the Cloudflare API failed. — Uncaught Error: crash at start-up [code: 10021]",
    );
  });
});

describe("isWorkerNotFound", () => {
  const run = (stderr: string, code?: number) => ({
    exitCode: 1,
    stdout: "",
    stderr,
    records: code === undefined ? [] : [{ type: "command-failed", message: "failed", code }],
  });

  it("reads the API code from wrangler's output file", () => {
    expect(isWorkerNotFound(run("", 10007))).toBe(true);
    expect(isWorkerNotFound(run("", 10000))).toBe(false);
  });

  // A failed call in a Dagger container leaves no output file to read: only stderr.
  it("reads it from stderr when there is no output file", () => {
    const stderr =
      "✘ [ERROR] A request to the Cloudflare API failed.\n\n  This Worker does not exist on your account. [code: 10007]\n";
    expect(isWorkerNotFound(run(stderr))).toBe(true);
    expect(isWorkerNotFound(run(stderr.replace("10007", "10021")))).toBe(false);
    expect(isWorkerNotFound(run("network down"))).toBe(false);
  });
});

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchHttpClient } from "../../dagger/src/core/deploy/fetch-http-client.js";
import { DEFAULT_HEALTH_POLICY } from "../../dagger/src/core/deploy/health.js";
import { systemClock } from "../../dagger/src/core/deploy/ports.js";
import { renderTerminal } from "../../dagger/src/core/deploy/render-report.js";
import type { DeployReport } from "../../dagger/src/core/deploy/report.js";
import { runDeploy } from "../../dagger/src/core/deploy/run-deploy.js";
import { findService, type ServiceCatalog } from "../../dagger/src/core/services/catalog.js";
import { discoverServices } from "../../dagger/src/core/services/discover.js";
import { currentHolder, fileLockStore } from "../../pipeline/deploy/file-lock-store.js";
import { openHostDeployTarget } from "../../pipeline/deploy/host-deploy-target.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { ensureLocalCloud, type LocalCloudHandle } from "../../pipeline/local-cloud/index.js";
import { copyRepo, type TempRepo } from "./temp-repo.js";

// One repository copy and one control plane for the whole file: a full deploy of eight
// Workers costs tens of seconds on two cores, so later tests start from the first one's state.
let repo: TempRepo;
let cloud: LocalCloudHandle;
let catalog: ServiceCatalog;

/** Active version of every worker the control plane serves. */
async function serving(): Promise<Record<string, string | undefined>> {
  const workers = await cloud.workers();
  return Object.fromEntries(workers.map((worker) => [worker.name, worker.activeVersionId]));
}

async function versionCounts(): Promise<Record<string, number>> {
  const workers = await cloud.workers();
  return Object.fromEntries(workers.map((worker) => [worker.name, worker.versions]));
}

async function readReport(name: string): Promise<DeployReport> {
  return JSON.parse(await readFile(join(repo.root, name), "utf8")) as DeployReport;
}

const BROKEN_GATEWAY_HEALTH = (text: string) =>
  text.replace(
    "return c.json(body, httpStatus);",
    'return c.json({ ...body, status: "broken" }, 503);',
  );

beforeAll(async () => {
  repo = await copyRepo();
  cloud = await ensureLocalCloud(repo.root);
  catalog = await discoverServices(fsRepoReader(repo.root));
});

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
});

describe("pipeline deploy against the local control plane", () => {
  it("--dry-run prints the waves and changes nothing", async () => {
    const result = await repo.cli(["deploy", "--service", "all", "--env", "local", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/wave 1: db → db[^\n]*\n/);
    expect(result.stdout).toMatch(/wave 5: gateway → gateway/);
    expect(await cloud.workers()).toEqual([]);
  });

  it("refuses bad input in one line, changing nothing", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--service", "nope", "--env", "local"],
        /unknown service "nope"; valid services: auth, db, email, gateway, mcp, queue, schedule, webhooks$/,
      ],
      [
        ["--service", "db", "--env", "prod"],
        /--env: unknown value "prod"; valid values: local, staging, production$/,
      ],
      [
        ["--service", "db", "--env", "staging"],
        /needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment \(nothing was changed\)$/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await repo.cli(["deploy", ...args], {
        CLOUDFLARE_API_TOKEN: undefined,
        CLOUDFLARE_ACCOUNT_ID: undefined,
      });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
    const rollback = await repo.cli(["rollback", "--service", "gateway", "--env", "moon"]);
    expect(rollback.stderr).toMatch(/valid values: local, staging, production/);
    expect(await cloud.workers()).toEqual([]);
  });

  it("names a binding cycle and deploys nothing", async () => {
    await repo.patch("services/db/wrangler.jsonc", (text) =>
      text.replace(
        '"version_metadata": { "binding": "VERSION" },',
        '"version_metadata": { "binding": "VERSION" },\n  "services": [{ "binding": "GATEWAY", "service": "gateway" }],',
      ),
    );
    try {
      const result = await repo.cli(["deploy", "--service", "db", "--env", "local"]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/cycle: (\w+ -> )+\w+/);
      expect(result.stderr).toContain("gateway");
    } finally {
      await repo.restore();
    }
    expect(await cloud.workers()).toEqual([]);
  });

  it("deploys all eight services in wave order, each healthy and passing its smoke tests", async () => {
    const result = await repo.cli([
      "deploy",
      "--service",
      "all",
      "--env",
      "local",
      "--json",
      "full.json",
    ]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const report = await readReport("full.json");
    expect(report.services).toHaveLength(8);
    const live = await serving();
    for (const service of report.services) {
      expect(service.outcome).toBe("deployed");
      expect(service.health?.ok).toBe(true);
      expect(live[service.worker]).toBe(service.newVersion);
    }
    expect(report.services.find((s) => s.service === "gateway")?.smoke.length).toBeGreaterThan(0);
    // Wave order as the control plane saw it: every service went live after all it binds to.
    const deployedOn = Object.fromEntries(
      (await cloud.workers()).map((w) => [w.name, w.deployedOn ?? ""]),
    );
    for (const service of catalog.services) {
      for (const dependency of service.bindings.local) {
        expect(
          (deployedOn[service.name] ?? "") > (deployedOn[dependency] ?? ""),
          `${service.name} after ${dependency}`,
        ).toBe(true);
      }
    }
    const status = await repo.cli(["local", "status", "--json"]);
    const workers = JSON.parse(status.stdout).workers as { health: { ok: boolean } }[];
    expect(workers).toHaveLength(8);
    expect(workers.every((worker) => worker.health.ok)).toBe(true);
  }, 600_000);

  it("rolls everything back, last wave first, when the gateway fails /health", async () => {
    const before = await serving();
    await repo.patch("services/gateway/src/app.ts", BROKEN_GATEWAY_HEALTH);
    try {
      const result = await repo.cli(
        ["deploy", "--service", "db,auth,gateway", "--env", "local", "--json", "broken.json"],
        { PIPELINE_HEALTH_TIMEOUT_MS: "3000" },
      );
      expect(result.exitCode).toBe(1);
      const report = await readReport("broken.json");
      expect(report.waves).toEqual([["db"], ["auth"], ["gateway"]]);
      const gateway = report.services.find((s) => s.service === "gateway");
      expect(gateway?.failure).toMatch(/^health: not healthy after 3\.0s/);
      for (const service of report.services) {
        expect(service.rollback).toMatchObject({
          outcome: "rolled-back",
          toVersion: before[service.worker],
        });
      }
      expect(result.stdout).toContain(`rolled back to ${before.gateway}`);
      expect(await serving()).toEqual(before);
    } finally {
      await repo.restore();
    }
  }, 300_000);

  it("stops at wave 1 when db crashes at start-up: no later wave deploys", async () => {
    const before = await serving();
    const versionsBefore = await versionCounts();
    await repo.patch(
      "services/db/src/index.ts",
      (text) => `${text}\nthrow new Error("crash at start-up");\n`,
    );
    try {
      const result = await repo.cli([
        "deploy",
        "--service",
        "all",
        "--env",
        "local",
        "--json",
        "crash.json",
      ]);
      expect(result.exitCode).toBe(1);
      const report = await readReport("crash.json");
      const db = report.services.find((s) => s.service === "db");
      expect(db?.failure).toMatch(/^deploy: wrangler deploy: .*crash at start-up/s);
      expect(report.services.filter((s) => s.outcome === "skipped")).toHaveLength(7);
      expect(await versionCounts()).toEqual(versionsBefore);
      expect(await serving()).toEqual(before);
    } finally {
      await repo.restore();
    }
  }, 300_000);

  it("catches a health check that times out and rolls the service back", async () => {
    const before = await serving();
    await repo.patch("services/schedule/src/index.ts", (text) =>
      text.replace(
        'if (pathname === "/health") {',
        'if (pathname === "/health") {\n      await new Promise((resolve) => setTimeout(resolve, 60_000));',
      ),
    );
    try {
      const result = await repo.cli(["deploy", "--service", "schedule", "--env", "local"], {
        PIPELINE_HEALTH_TIMEOUT_MS: "3000",
      });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(
        /✗ schedule: health: not healthy after 3\.0s \(\d+ attempts\); last: .*(timeout|aborted)/i,
      );
      expect(result.stdout).toContain(`rolled back to ${before.schedule}`);
      expect(await serving()).toEqual(before);
    } finally {
      await repo.restore();
    }
  }, 300_000);

  it("shouts a rollback that fails, with the command that finishes it", async () => {
    const before = await serving();
    await repo.patch("services/gateway/src/app.ts", BROKEN_GATEWAY_HEALTH);
    const gateway = findService(catalog, "gateway");
    if (!gateway) throw new Error("no gateway in the catalog");
    const host = await openHostDeployTarget(repo.root, "local", process.env, async () => cloud);
    const context = {
      target: "local" as const,
      endpoints: host.endpoints,
      http: fetchHttpClient,
      clock: systemClock,
      health: { ...DEFAULT_HEALTH_POLICY, timeoutMs: 3_000 },
      progress: () => undefined,
      // The real wrangler, asked to return to a version the control plane never had.
      deployer: {
        ...host.deployer,
        rollback: (service, target, _version, message) =>
          host.deployer.rollback(service, target, "00000000-0000-4000-8000-00000000dead", message),
      } satisfies typeof host.deployer,
    };
    try {
      const report = await runDeploy(context, {
        target: "local",
        waves: [[gateway]],
        smokeTests: {},
        selection: "test",
      });
      const [top] = renderTerminal(report).split("\n");
      expect(top).toContain(
        `!!! ROLLBACK FAILED: gateway (local) is NOT back on ${before.gateway}`,
      );
      expect(top).toContain(
        `pnpm run pipeline rollback --service gateway --env local --to ${before.gateway}`,
      );
      expect((await serving()).gateway).not.toBe(before.gateway);
      // Finishing it by hand, as the report says, restores the gateway.
      const manual = await repo.cli([
        "rollback",
        "--service",
        "gateway",
        "--env",
        "local",
        "--to",
        before.gateway ?? "",
      ]);
      expect(manual.exitCode, manual.stdout + manual.stderr).toBe(0);
      expect(await serving()).toEqual(before);
    } finally {
      await repo.restore();
    }
  }, 300_000);

  it("refuses a concurrent deploy, naming the holder and since when", async () => {
    const store = fileLockStore(repo.root);
    const holder = { ...currentHolder(new Date()), holder: "alice@ci-runner" };
    expect(await store.tryCreate("local", holder)).toBeUndefined();
    const versionsBefore = await versionCounts();
    try {
      const result = await repo.cli(["deploy", "--service", "db", "--env", "local"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        `deploy to local refused: alice@ci-runner holds the lock since ${holder.since}`,
      );
      expect(await versionCounts()).toEqual(versionsBefore);
    } finally {
      await store.remove("local", holder);
    }
  });

  it("replaces a stale lock left by a dead process", async () => {
    const finished = execa("true");
    const pid = finished.pid;
    await finished;
    const store = fileLockStore(repo.root);
    const stale = { ...currentHolder(new Date()), holder: "crashed run", pid: pid ?? 0 };
    await store.tryCreate("local", stale);
    const result = await repo.cli(["rollback", "--service", "email", "--env", "local"]);
    expect(result.stderr).toContain(
      `removing stale local deploy lock of crashed run (pid ${stale.pid}`,
    );
    // email has one version only: the rollback itself is refused, after the lock was taken.
    expect(result.stderr).toMatch(/no earlier version to roll back to/);
    expect(await store.tryCreate("local", stale)).toBeUndefined();
    await store.remove("local", stale);
  });

  it("never shows the API token: a canary through a real staging deploy", async () => {
    const canary = "canary-7f3e9d2c4b1a-token";
    const result = await repo.pipeline(
      [
        "deploy",
        "--service",
        "db",
        "--env",
        "staging",
        "--json",
        "canary.json",
        "--summary",
        "canary.md",
      ],
      {
        CLOUDFLARE_API_TOKEN: canary,
        CLOUDFLARE_ACCOUNT_ID: cloud.accountId,
        CLOUDFLARE_API_BASE_URL: cloud.apiBaseUrl,
        PIPELINE_HEALTH_TIMEOUT_MS: "1000",
      },
    );
    // The Worker went up (through wrangler, with the canary), but its workers.dev URL is not
    // reachable from here, so health fails: the run still exercised every output path.
    expect(result.exitCode).toBe(1);
    expect((await serving())["db-staging"]).toBeDefined();
    const outputs = [
      result.stdout,
      result.stderr,
      await readFile(join(repo.root, "canary.json"), "utf8"),
      await readFile(join(repo.root, "canary.md"), "utf8"),
    ];
    expect(outputs[0]).toContain("first deploy: nothing to roll back");
    for (const output of outputs) {
      expect(output).not.toContain(canary);
    }
  }, 300_000);
});

import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "@workers/local-cloud";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_HEALTH_POLICY,
  type DeployReport,
  discoverServices,
  fetchHttpClient,
  findService,
  LOCAL_TARGET,
  renderTerminal,
  runDeploy,
  type ServiceCatalog,
  systemClock,
} from "#core";
import { openCloudflarePorts } from "../../../pipeline/deploy/cloudflare-ports.js";
import { currentHolder, fileLockStore } from "../../../pipeline/deploy/file-lock-store.js";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import {
  restoreServing,
  servingVersions,
  type Versions,
  versionCounts,
} from "../../helpers/cluster.js";
import { copyRepo, MAIN_ROOT, type TempRepo } from "../../helpers/temp-repo.js";

// One repository copy and one control plane for the file. A full deploy of all eight Workers
// costs tens of seconds on two cores, so it is done once, on demand (baseline()), and shared:
// after each test the cluster is put back on the baseline's versions and the copy on its own
// files, so every test starts from the same state whatever ran before it, and runs alone too.
let repo: TempRepo;
let cloud: LocalCloudHandle;
let catalog: ServiceCatalog;

interface Baseline {
  report: DeployReport;
  versions: Versions;
  /** When each Worker went live, as the control plane recorded it. */
  deployedOn: Record<string, string>;
}
let baselineDeploy: Promise<Baseline> | undefined;

/** The first deploy of all eight services with the pipeline, done once for the file. */
function baseline(): Promise<Baseline> {
  baselineDeploy ??= (async () => {
    const args = ["deploy", "--service", "all", "--env", "local", "--json", "baseline.json"];
    const result = await repo.cli(args);
    if (result.exitCode !== 0) {
      throw new Error(`baseline deploy failed:\n${result.stdout}\n${result.stderr}`);
    }
    const workers = await cloud.workers();
    return {
      report: await readReport("baseline.json"),
      versions: await servingVersions(cloud),
      deployedOn: Object.fromEntries(workers.map((w) => [w.name, w.deployedOn ?? ""])),
    };
  })();
  return baselineDeploy;
}

/**
 * What serves when a test starts: the baseline's versions (afterEach put them back), plus any
 * Worker another test added (the canary's db-staging).
 */
async function fromBaseline(): Promise<Versions> {
  await baseline();
  return servingVersions(cloud);
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

afterEach(async () => {
  await repo.restore();
  if (baselineDeploy) await restoreServing(cloud, (await baselineDeploy).versions);
  // A lock a failed test left behind goes; taking and dropping it is the store's way to ask.
  const store = fileLockStore(repo.root);
  const probe = currentHolder(new Date());
  await store.remove(LOCAL_TARGET, (await store.tryCreate(LOCAL_TARGET, probe)) ?? probe);
});

afterAll(async () => {
  await cloud?.stop();
  await repo?.dispose();
});

describe("pipeline deploy against the local control plane", () => {
  it("--dry-run prints the waves and changes nothing", async () => {
    const counts = await versionCounts(cloud);
    const result = await repo.cli(["deploy", "--service", "all", "--env", "local", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/wave 1: db → db[^\n]*\n/);
    expect(result.stdout).toMatch(/wave 5: gateway → gateway/);
    expect(await versionCounts(cloud)).toEqual(counts);
  });

  it("refuses bad input in one line, changing nothing", async () => {
    const counts = await versionCounts(cloud);
    const cases: [string[], RegExp][] = [
      [
        ["--service", "nope", "--env", "local"],
        /unknown service "nope"; valid services: auth, db, email, gateway, mcp, queue, schedule, webhooks$/,
      ],
      [
        ["--service", "db", "--env", "prod"],
        /--env: unknown value "prod"; valid values: @local, staging, production$/,
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
    expect(rollback.stderr).toMatch(/valid values: @local, staging, production/);
    const grace = await repo.cli(["deploy", "--service", "db", "--env", "local"], {
      PIPELINE_INTERRUPT_GRACE_MS: "soon",
    });
    expect(grace).toMatchObject({
      exitCode: 2,
      stderr:
        'pipeline deploy: PIPELINE_INTERRUPT_GRACE_MS: "soon" is not a whole number of milliseconds (0 or more; default 30000)',
    });
    expect(await versionCounts(cloud)).toEqual(counts);
  });

  it("names a binding cycle and deploys nothing", async () => {
    const counts = await versionCounts(cloud);
    await repo.patch("services/db/wrangler.jsonc", (text) =>
      text.replace(
        '"version_metadata": { "binding": "VERSION" },',
        '"version_metadata": { "binding": "VERSION" },\n  "services": [{ "binding": "GATEWAY", "service": "gateway" }],',
      ),
    );
    const result = await repo.cli(["deploy", "--service", "db", "--env", "local"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/cycle: (\w+ -> )+\w+/);
    expect(result.stderr).toContain("gateway");
    expect(await versionCounts(cloud)).toEqual(counts);
  });

  it("deploys all eight services in wave order, each healthy and passing its smoke tests", async () => {
    const { report, versions, deployedOn } = await baseline();
    expect(report.services).toHaveLength(8);
    for (const service of report.services) {
      expect(service.outcome).toBe("deployed");
      expect(service.previousVersion).toBeNull();
      expect(service.health?.ok).toBe(true);
      expect(versions[service.worker]).toBe(service.newVersion);
    }
    expect(report.services.find((s) => s.service === "gateway")?.smoke.length).toBeGreaterThan(0);
    // db's migrations went in before its code (all of them: the database was new), and the
    // report lists them in order.
    const migrations = (await readdir(join(repo.root, "services/db/migrations"))).sort();
    expect(migrations.length).toBeGreaterThan(0);
    expect(report.services.find((s) => s.service === "db")?.migrations).toEqual([
      { database: "workers-db", applied: migrations },
    ]);
    // Wave order as the control plane saw it: every service went live after all it binds to.
    for (const service of catalog.services) {
      for (const dependency of service.bindings.local ?? []) {
        expect(
          (deployedOn[service.name] ?? "") > (deployedOn[dependency] ?? ""),
          `${service.name} after ${dependency}`,
        ).toBe(true);
      }
    }
    // Other tests may have added Workers (db-staging); these eight must all be there and healthy.
    const status = await repo.cli(["local", "status", "--json"]);
    const health = Object.fromEntries(
      (JSON.parse(status.stdout).workers as { name: string; health: { ok: boolean } }[]).map(
        (worker) => [worker.name, worker.health.ok],
      ),
    );
    expect(report.services.map((service) => health[service.worker])).toEqual(Array(8).fill(true));
  }, 300_000);

  it("rolls everything back, last wave first, when the gateway fails /health", async () => {
    const before = await fromBaseline();
    await repo.patch("services/gateway/src/app.ts", BROKEN_GATEWAY_HEALTH);
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
    expect(await servingVersions(cloud)).toEqual(before);
  }, 300_000);

  it("stops at wave 1 when db crashes at start-up: no later wave deploys", async () => {
    const before = await fromBaseline();
    const versionsBefore = await versionCounts(cloud);
    await repo.patch(
      "services/db/src/index.ts",
      (text) => `${text}\nthrow new Error("crash at start-up");\n`,
    );
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
    expect(await versionCounts(cloud)).toEqual(versionsBefore);
    expect(await servingVersions(cloud)).toEqual(before);
  }, 300_000);

  it("stops a service whose D1 migration fails before its code, rolls back the run and says D1 stays", async () => {
    const before = await fromBaseline();
    const versionsBefore = await versionCounts(cloud);
    // auth gets a database of its own whose second migration has an SQL error.
    await repo.patch("services/auth/wrangler.jsonc", (text) =>
      text.replace(
        '"services": [{ "binding": "DB", "service": "db" }],',
        `"services": [{ "binding": "DB", "service": "db" }],\n  "d1_databases": [{ "binding": "AUDIT", "database_name": "auth-audit", "database_id": "${randomUUID()}", "migrations_dir": "migrations" }],`,
      ),
    );
    await repo.add("services/auth/migrations/0001_audit.sql", "CREATE TABLE audit (id TEXT);\n");
    await repo.add("services/auth/migrations/0002_broken.sql", "CREATE TABLE broken (id TEXT;\n");
    await repo.add("services/auth/migrations/0003_later.sql", "CREATE TABLE later (id TEXT);\n");
    const result = await repo.cli([
      "deploy",
      "--service",
      "db,auth",
      "--env",
      "local",
      "--json",
      "migrations.json",
    ]);
    expect(result.exitCode).toBe(1);
    const report = await readReport("migrations.json");
    const auth = report.services.find((s) => s.service === "auth");
    expect(auth).toMatchObject({
      outcome: "failed",
      migrations: [
        { database: "auth-audit", applied: ["0001_audit.sql"], failed: "0002_broken.sql" },
      ],
    });
    expect(auth?.failure).toMatch(
      /^migrations: wrangler d1 migrations apply auth-audit: 0002_broken.sql failed: .*syntax error.*; its code was not deployed$/,
    );
    expect(auth?.newVersion).toBeUndefined();
    expect(report.services.find((s) => s.service === "db")?.rollback).toMatchObject({
      outcome: "rolled-back",
      toVersion: before.db,
    });
    expect(result.stdout).toContain(
      "⚠ auth: D1 auth-audit keeps 0001_audit.sql, applied by this run (0002_broken.sql failed); D1 is not rolled back",
    );
    expect((await versionCounts(cloud)).auth).toBe(versionsBefore.auth);
    expect(await servingVersions(cloud)).toEqual(before);
    // What the report says D1 kept is what D1 has.
    const select = await execa(
      process.execPath,
      [
        join(MAIN_ROOT, "node_modules/wrangler/bin/wrangler.js"),
        ...["d1", "execute", "auth-audit", "--remote", "--json"],
        ...["--command", "SELECT name FROM d1_migrations ORDER BY id"],
      ],
      { cwd: join(repo.root, "services/auth"), env: cloud.wranglerEnv },
    );
    const [applied] = JSON.parse(select.stdout.slice(select.stdout.indexOf("["))) as {
      results: { name: string }[];
    }[];
    expect(applied?.results).toEqual([{ name: "0001_audit.sql" }]);
  }, 300_000);

  it("catches a health check that times out and rolls the service back", async () => {
    const before = await fromBaseline();
    await repo.patch("services/schedule/src/index.ts", (text) =>
      text.replace(
        'if (pathname === "/health") {',
        'if (pathname === "/health") {\n      await new Promise((resolve) => setTimeout(resolve, 60_000));',
      ),
    );
    const result = await repo.cli(["deploy", "--service", "schedule", "--env", "local"], {
      PIPELINE_HEALTH_TIMEOUT_MS: "3000",
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /✗ schedule: health: not healthy after 3\.0s \(\d+ attempts\); last: .*(timeout|aborted)/i,
    );
    expect(result.stdout).toContain(`rolled back to ${before.schedule}`);
    expect(await servingVersions(cloud)).toEqual(before);
  }, 300_000);

  it("shouts a rollback that fails, with the command that finishes it", async () => {
    const before = await fromBaseline();
    await repo.patch("services/gateway/src/app.ts", BROKEN_GATEWAY_HEALTH);
    const gateway = findService(catalog, "gateway");
    if (!gateway) throw new Error("no gateway in the catalog");
    const host = await openCloudflarePorts(repo.root, LOCAL_TARGET, process.env, async () => cloud);
    const context = {
      target: LOCAL_TARGET,
      endpoints: host.endpoints,
      http: fetchHttpClient,
      clock: systemClock,
      health: { ...DEFAULT_HEALTH_POLICY, timeoutMs: 3_000 },
      progress: () => undefined,
      // The real rollback (the API, wrangler behind it), asked to return to a version the
      // control plane never had.
      deployer: {
        ...host.deployer,
        rollback: (service, target, _version, message) =>
          host.deployer.rollback(service, target, "00000000-0000-4000-8000-00000000dead", message),
      } satisfies typeof host.deployer,
    };
    const report = await runDeploy(context, {
      target: LOCAL_TARGET,
      waves: [[gateway]],
      smokeTests: {},
      selection: "test",
    });
    const [top] = renderTerminal(report).split("\n");
    expect(top).toContain(`!!! ROLLBACK FAILED: gateway (@local) is NOT back on ${before.gateway}`);
    expect(top).toContain(
      `pnpm run pipeline rollback --service gateway --env @local --to ${before.gateway}`,
    );
    expect((await servingVersions(cloud)).gateway).not.toBe(before.gateway);
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
    expect(await servingVersions(cloud)).toEqual(before);
  }, 300_000);

  it("refuses a concurrent deploy, naming the holder and since when", async () => {
    const store = fileLockStore(repo.root);
    const holder = { ...currentHolder(new Date()), holder: "alice@ci-runner" };
    expect(await store.tryCreate(LOCAL_TARGET, holder)).toBeUndefined();
    const versionsBefore = await versionCounts(cloud);
    const result = await repo.cli(["deploy", "--service", "db", "--env", "local"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `deploy to @local refused: alice@ci-runner holds the lock since ${holder.since}`,
    );
    expect(await versionCounts(cloud)).toEqual(versionsBefore);
  });

  it("replaces a stale lock left by a dead process", async () => {
    const { versions } = await baseline();
    const finished = execa("true");
    const pid = finished.pid;
    await finished;
    const store = fileLockStore(repo.root);
    const stale = { ...currentHolder(new Date()), holder: "crashed run", pid: pid ?? 0 };
    await store.tryCreate(LOCAL_TARGET, stale);
    const result = await repo.cli([
      "rollback",
      "--service",
      "email",
      "--env",
      "local",
      "--to",
      versions.email ?? "",
    ]);
    expect(result.stderr).toContain(
      `removing stale @local deploy lock of crashed run (pid ${stale.pid}`,
    );
    // The rollback itself is refused (email already serves that version), after taking the lock.
    expect(result.stderr).toContain(`email already serves ${versions.email}: nothing to do`);
    expect(await store.tryCreate(LOCAL_TARGET, stale)).toBeUndefined();
    await store.remove(LOCAL_TARGET, stale);
  }, 300_000);

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
    expect((await servingVersions(cloud))["db-staging"]).toBeDefined();
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

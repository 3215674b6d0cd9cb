import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type IsolatedLocalCloud,
  startIsolatedLocalCloud,
} from "../../pipeline/local-cloud/index.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const wranglerBin = join(repoRoot, "node_modules/wrangler/bin/wrangler.js");
const dbService = join(repoRoot, "services/db");

interface WranglerRun {
  exitCode: number;
  output: string;
  /** The `deploy` record of wrangler's ND-JSON output file, when there is one. */
  deployedVersion?: string;
}

async function wrangler(
  cloud: IsolatedLocalCloud,
  cwd: string,
  args: string[],
  input?: string,
): Promise<WranglerRun> {
  const outputFile = join(cloud.stateDir, `wrangler-${Date.now()}-${Math.random()}.ndjson`);
  const run = await execa(process.execPath, [wranglerBin, ...args], {
    cwd,
    env: { ...cloud.wranglerEnv, WRANGLER_OUTPUT_FILE_PATH: outputFile },
    reject: false,
    all: true,
    ...(input === undefined ? { stdin: "ignore" as const } : { input }),
  });
  const records = await readFile(outputFile, "utf8")
    .then((text) =>
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    )
    .catch(() => []);
  const deploy = records.find((record) => record.type === "deploy");
  return {
    exitCode: run.exitCode ?? 1,
    output: run.all ?? "",
    ...(typeof deploy?.version_id === "string" && { deployedVersion: deploy.version_id }),
  };
}

async function deployed(cloud: IsolatedLocalCloud, cwd: string, args: string[]): Promise<string> {
  const run = await wrangler(cloud, cwd, ["deploy", ...args]);
  expect(run.exitCode, run.output).toBe(0);
  expect(run.deployedVersion).toMatch(/^[0-9a-f-]{36}$/);
  return run.deployedVersion as string;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function healthOf(cloud: IsolatedLocalCloud, worker: string) {
  const url = await cloud.workerUrl(worker);
  expect(url, `${worker} has a URL`).toBeDefined();
  return getJson(`${url}/health`);
}

// Two small workers written to a temp dir: `lc-callee`, and `lc-caller` which binds it as a
// service, owns a D1 database and produces to and consumes from a queue.
const calleeSource = `export default {
  async fetch(request, env) {
    const slow = new URL(request.url).searchParams.get("slow");
    if (slow) await new Promise((resolve) => setTimeout(resolve, Number(slow)));
    return Response.json({ callee: env.VERSION.id, token: env.TOKEN === undefined ? "unset" : "set" });
  },
};`;
const callerSource = (label: string, preamble = "") => `${preamble}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ version: env.VERSION.id, label: env.LABEL });
    if (url.pathname === "/callee") return env.CALLEE.fetch("http://callee/");
    if (url.pathname === "/enqueue") {
      await env.DB.prepare("CREATE TABLE IF NOT EXISTS seen (body TEXT)").run();
      await env.JOBS.send({ n: url.searchParams.get("n") });
      return Response.json({ queued: true });
    }
    if (url.pathname === "/seen") {
      const { results } = await env.DB.prepare("SELECT body FROM seen").all();
      return Response.json({ seen: results.map((row) => JSON.parse(row.body)) });
    }
    return Response.json({ error: "not_found", label: ${JSON.stringify(label)} }, { status: 404 });
  },
  async scheduled(controller, env) {
    await env.DB.prepare("INSERT INTO seen (body) VALUES (?)").bind(JSON.stringify({ cron: controller.cron })).run();
  },
  async queue(batch, env) {
    for (const message of batch.messages) {
      await env.DB.prepare("INSERT INTO seen (body) VALUES (?)").bind(JSON.stringify(message.body)).run();
      message.ack();
    }
  },
};`;

async function writeFixture(dir: string, name: string, config: object, source: string) {
  await writeFile(
    join(dir, `${name}.jsonc`),
    JSON.stringify({
      name,
      main: `${name}.js`,
      compatibility_date: "2025-06-01",
      version_metadata: { binding: "VERSION" },
      ...config,
    }),
  );
  await writeFile(join(dir, `${name}.js`), source);
}

const callerConfig = {
  vars: { LABEL: "v1" },
  services: [{ binding: "CALLEE", service: "lc-callee" }],
  d1_databases: [
    {
      binding: "DB",
      database_name: "lc-probe",
      database_id: "11111111-2222-4333-8444-555555555555",
    },
  ],
  queues: {
    producers: [{ binding: "JOBS", queue: "lc-jobs" }],
    consumers: [{ queue: "lc-jobs", max_batch_size: 1, max_batch_timeout: 1 }],
  },
  triggers: { crons: ["*/5 * * * *"] },
};

const secretCanary = "canary-secret-7f3a9c";

describe("local Workers control plane driven by real wrangler commands", () => {
  let cloud: IsolatedLocalCloud;
  let fixtures: string;
  const dbVersions: string[] = [];

  beforeAll(async () => {
    cloud = await startIsolatedLocalCloud();
    fixtures = await mkdtemp(join(tmpdir(), "local-cloud-fixtures-"));
  });

  afterAll(async () => {
    await cloud?.dispose();
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  it("deploys services/db with wrangler; after its migrations /health reports the deployed version", async () => {
    dbVersions.push(await deployed(cloud, dbService, ["--env", "staging"]));
    const migrate = await wrangler(cloud, dbService, [
      "d1",
      "migrations",
      "apply",
      "DB",
      "--remote",
      "--env",
      "staging",
    ]);
    expect(migrate.exitCode, migrate.output).toBe(0);
    const health = await healthOf(cloud, "db-staging");
    expect(health).toEqual({
      status: 200,
      body: { service: "db", version: dbVersions[0], status: "ok" },
    });
  });

  it("a second deploy serves a new version, and versions/deployments list show both", async () => {
    dbVersions.push(await deployed(cloud, dbService, ["--env", "staging"]));
    expect(dbVersions[1]).not.toBe(dbVersions[0]);
    expect((await healthOf(cloud, "db-staging")).body.version).toBe(dbVersions[1]);

    const deployments = await wrangler(cloud, dbService, [
      "deployments",
      "list",
      "--json",
      "--env",
      "staging",
    ]);
    expect(deployments.exitCode, deployments.output).toBe(0);
    const listed = JSON.parse(deployments.output.slice(deployments.output.indexOf("["))) as {
      versions: { version_id: string; percentage: number }[];
      annotations: Record<string, string>;
    }[];
    expect(listed.flatMap((d) => d.versions)).toEqual(
      expect.arrayContaining(dbVersions.map((version_id) => ({ version_id, percentage: 100 }))),
    );
    // Oldest first, as wrangler sorts them; both came from `wrangler deploy`.
    expect(listed.map((d) => d.versions[0]?.version_id)).toEqual(dbVersions);
    expect(listed.map((d) => d.annotations["workers/triggered_by"])).toEqual(["upload", "upload"]);

    const versions = await wrangler(cloud, dbService, [
      "versions",
      "list",
      "--json",
      "--env",
      "staging",
    ]);
    expect(versions.exitCode, versions.output).toBe(0);
    const ids = (
      JSON.parse(versions.output.slice(versions.output.indexOf("["))) as { id: string }[]
    ).map((v) => v.id);
    expect(ids.sort()).toEqual([...dbVersions].sort());
  });

  it("wrangler rollback <old version> makes the old version serve again", async () => {
    const rollback = await wrangler(cloud, dbService, [
      "rollback",
      dbVersions[0] as string,
      "-m",
      "back to first",
      "-y",
      "--env",
      "staging",
    ]);
    expect(rollback.exitCode, rollback.output).toBe(0);
    expect((await healthOf(cloud, "db-staging")).body.version).toBe(dbVersions[0]);
    const deployments = await wrangler(cloud, dbService, [
      "deployments",
      "status",
      "--json",
      "--env",
      "staging",
    ]);
    const latest = JSON.parse(deployments.output.slice(deployments.output.indexOf("{"))) as {
      versions: { version_id: string }[];
      annotations: Record<string, string>;
    };
    expect(latest.versions[0]?.version_id).toBe(dbVersions[0]);
    expect(latest.annotations).toMatchObject({
      "workers/message": "back to first",
      "workers/triggered_by": "rollback",
    });
  });

  it("refuses a service binding to a worker that is not deployed, naming it", async () => {
    await writeFixture(fixtures, "lc-caller", callerConfig, callerSource("v1"));
    const run = await wrangler(cloud, fixtures, ["deploy", "-c", "lc-caller.jsonc"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('points at worker "lc-callee", which is not deployed');
    expect(await cloud.workerUrl("lc-caller")).toBeUndefined();
  });

  it("wires service bindings, D1 and queue producer/consumer between deployed workers", async () => {
    await writeFixture(fixtures, "lc-callee", {}, calleeSource);
    const calleeVersion = await deployed(cloud, fixtures, ["-c", "lc-callee.jsonc"]);
    const callerVersion = await deployed(cloud, fixtures, ["-c", "lc-caller.jsonc"]);
    const caller = (await cloud.workerUrl("lc-caller")) as string;
    expect(await getJson(`${caller}/health`)).toEqual({
      status: 200,
      body: { version: callerVersion, label: "v1" },
    });
    expect((await getJson(`${caller}/callee`)).body).toEqual({
      callee: calleeVersion,
      token: "unset",
    });

    expect((await getJson(`${caller}/enqueue?n=42`)).body).toEqual({ queued: true });
    let seen: unknown[] = [];
    for (let attempt = 0; attempt < 100 && seen.length === 0; attempt++) {
      seen = (await getJson(`${caller}/seen`)).body.seen as unknown[];
      if (seen.length === 0) await sleep(200);
    }
    expect(seen).toEqual([{ n: "42" }]);

    // Cron triggers are registered by the deploy and run on demand.
    await cloud.triggerScheduled("lc-caller", "*/5 * * * *");
    expect((await getJson(`${caller}/seen`)).body.seen).toEqual([
      { n: "42" },
      { cron: "*/5 * * * *" },
    ]);
  });

  it("wrangler secret put makes a new version with the secret; its value never comes back out", async () => {
    const before = (await getJson(`${(await cloud.workerUrl("lc-caller")) as string}/callee`)).body;
    const put = await wrangler(
      cloud,
      fixtures,
      ["secret", "put", "TOKEN", "-c", "lc-callee.jsonc"],
      `${secretCanary}\n`,
    );
    expect(put.exitCode, put.output).toBe(0);
    const after = (await getJson(`${(await cloud.workerUrl("lc-caller")) as string}/callee`)).body;
    expect(after.token).toBe("set");
    expect(after.callee).not.toBe(before.callee);
    const versions = await wrangler(cloud, fixtures, [
      "versions",
      "view",
      String(after.callee),
      "--json",
      "-c",
      "lc-callee.jsonc",
    ]);
    expect(versions.exitCode, versions.output).toBe(0);
    expect(versions.output).toContain('"TOKEN"');
    expect(versions.output).not.toContain(secretCanary);
    expect(await readFile(cloud.logFile, "utf8")).not.toContain(secretCanary);
  });

  it("a request in flight when a deployment swaps the runtime still completes", async () => {
    const callee = (await cloud.workerUrl("lc-callee")) as string;
    const active = (await cloud.workers()).find((w) => w.name === "lc-callee")?.activeVersionId;
    const inFlight = getJson(`${callee}/?slow=4000`);
    await sleep(1_000);
    const redeploy = await fetch(
      `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/scripts/lc-callee/deployments`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${cloud.wranglerEnv.CLOUDFLARE_API_TOKEN}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ versions: [{ version_id: active, percentage: 100 }] }),
      },
    );
    expect(redeploy.status).toBe(200);
    expect(await inFlight).toEqual({ status: 200, body: { callee: active, token: "set" } });
  });

  it("rejects an upload that throws at start-up; the previous version keeps serving", async () => {
    const before = (await healthOf(cloud, "lc-caller")).body.version;
    await writeFixture(
      fixtures,
      "lc-caller",
      callerConfig,
      callerSource("v2", 'throw new Error("boom at start-up");'),
    );
    const run = await wrangler(cloud, fixtures, ["deploy", "-c", "lc-caller.jsonc"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("boom at start-up");
    expect(run.deployedVersion).toBeUndefined();
    expect((await healthOf(cloud, "lc-caller")).body.version).toBe(before);
  });

  it("after a restart of the control plane the same versions serve on the same URLs, with D1 data kept", async () => {
    const insert = await wrangler(cloud, dbService, [
      "d1",
      "execute",
      "DB",
      "--remote",
      "--env",
      "staging",
      "--command",
      "INSERT INTO api_keys (id, name, prefix, hash) VALUES ('k1', 'kept', 'pre', 'h1')",
    ]);
    expect(insert.exitCode, insert.output).toBe(0);
    const dbUrl = await cloud.workerUrl("db-staging");
    const callerUrl = await cloud.workerUrl("lc-caller");
    const callerVersion = (await healthOf(cloud, "lc-caller")).body.version;

    cloud = await cloud.restart();

    expect(await cloud.workerUrl("db-staging")).toBe(dbUrl);
    expect(await cloud.workerUrl("lc-caller")).toBe(callerUrl);
    expect((await healthOf(cloud, "db-staging")).body).toEqual({
      service: "db",
      version: dbVersions[0],
      status: "ok",
    });
    expect((await healthOf(cloud, "lc-caller")).body.version).toBe(callerVersion);
    expect((await getJson(`${callerUrl}/seen`)).body.seen).toEqual([
      { n: "42" },
      { cron: "*/5 * * * *" },
    ]);
    const select = await wrangler(cloud, dbService, [
      "d1",
      "execute",
      "DB",
      "--remote",
      "--env",
      "staging",
      "--json",
      "--command",
      "SELECT name FROM api_keys WHERE id = 'k1'",
    ]);
    expect(select.exitCode, select.output).toBe(0);
    const [result] = JSON.parse(select.output.slice(select.output.indexOf("["))) as {
      results: unknown[];
    }[];
    expect(result?.results).toEqual([{ name: "kept" }]);
  });

  it("answers an unknown API route, a missing token and a foreign account with clear errors", async () => {
    const headers = { authorization: `Bearer ${cloud.wranglerEnv.CLOUDFLARE_API_TOKEN}` };
    const unknown = await fetch(
      `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/dispatch/namespaces`,
      { headers },
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      success: false,
      errors: [
        {
          code: 7003,
          message: `local control plane: no route for GET /accounts/${cloud.accountId}/workers/dispatch/namespaces`,
        },
      ],
      messages: [],
      result: null,
    });
    const anonymous = await fetch(
      `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/subdomain`,
    );
    expect(anonymous.status).toBe(403);
    expect(
      ((await anonymous.json()) as { errors: { message: string }[] }).errors[0]?.message,
    ).toMatch(/Authentication error/);
    const foreign = await fetch(
      `${cloud.apiBaseUrl}/accounts/0123456789abcdef0123456789abcdef/workers/subdomain`,
      { headers },
    );
    expect(foreign.status).toBe(403);
    expect(
      ((await foreign.json()) as { errors: { message: string }[] }).errors[0]?.message,
    ).toContain(`CLOUDFLARE_ACCOUNT_ID=${cloud.accountId}`);
  });
});

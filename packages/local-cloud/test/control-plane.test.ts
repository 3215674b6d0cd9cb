import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IsolatedLocalCloud, startIsolatedLocalCloud } from "../src/index.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
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

// Small workers each test writes for itself: `lc-callee-<tag>`, and `lc-caller-<tag>` which
// binds it as a service, owns a D1 database and produces to and consumes from a queue. Names,
// database and queue carry the test's tag, so tests share the control plane (the costly part)
// but none sees another's workers or data: each runs alone or in any order.
const calleeSource = (preamble = "") => `${preamble}
export default {
  async fetch(request, env) {
    const slow = new URL(request.url).searchParams.get("slow");
    if (slow) await new Promise((resolve) => setTimeout(resolve, Number(slow)));
    return Response.json({ callee: env.VERSION.id, token: env.TOKEN === undefined ? "unset" : "set" });
  },
};`;
const callerSource = (callee: string) => `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ version: env.VERSION.id, label: env.LABEL });
    if (url.pathname === "/callee") return env.CALLEE.fetch("http://${callee}/");
    if (url.pathname === "/enqueue") {
      await env.DB.prepare("CREATE TABLE IF NOT EXISTS seen (body TEXT)").run();
      await env.JOBS.send({ n: url.searchParams.get("n") });
      return Response.json({ queued: true });
    }
    if (url.pathname === "/seen") {
      const { results } = await env.DB.prepare("SELECT body FROM seen").all();
      return Response.json({ seen: results.map((row) => JSON.parse(row.body)) });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
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

interface Fixture {
  dir: string;
  callee: string;
  caller: string;
  database: string;
  /** `-c <config>` for wrangler. */
  calleeConfig: string[];
  callerConfig: string[];
  writeCallee(preamble?: string): Promise<void>;
}

async function writeWorker(dir: string, name: string, config: object, source: string) {
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

/** Writes a callee and a caller named for `tag` (deploying them is up to the test). */
async function fixture(tag: string): Promise<Fixture> {
  const dir = await mkdtemp(join(fixturesRoot, `${tag}-`));
  const callee = `lc-callee-${tag}`;
  const caller = `lc-caller-${tag}`;
  const database = `lc-probe-${tag}`;
  const writeCallee = (preamble?: string) => writeWorker(dir, callee, {}, calleeSource(preamble));
  await writeCallee();
  await writeWorker(
    dir,
    caller,
    {
      vars: { LABEL: "v1" },
      services: [{ binding: "CALLEE", service: callee }],
      d1_databases: [{ binding: "DB", database_name: database, database_id: randomUUID() }],
      queues: {
        producers: [{ binding: "JOBS", queue: `lc-jobs-${tag}` }],
        consumers: [{ queue: `lc-jobs-${tag}`, max_batch_size: 1, max_batch_timeout: 1 }],
      },
      triggers: { crons: ["*/5 * * * *"] },
    },
    callerSource(callee),
  );
  return {
    dir,
    callee,
    caller,
    database,
    calleeConfig: ["-c", `${callee}.jsonc`],
    callerConfig: ["-c", `${caller}.jsonc`],
    writeCallee,
  };
}

async function calleeAnswer(cloud: IsolatedLocalCloud, callee: string) {
  const url = await cloud.workerUrl(callee);
  expect(url, `${callee} has a URL`).toBeDefined();
  return (await getJson(`${url}/`)).body;
}

/** Polls the caller's D1 table until `count` rows arrived (queue consumers run on their own). */
async function seen(url: string, count: number): Promise<unknown[]> {
  let rows: unknown[] = [];
  for (let attempt = 0; attempt < 100 && rows.length < count; attempt++) {
    rows = (await getJson(`${url}/seen`)).body.seen as unknown[];
    if (rows.length < count) await sleep(200);
  }
  return rows;
}

const secretCanary = "canary-secret-7f3a9c";

let cloud: IsolatedLocalCloud;
let fixturesRoot: string;

beforeAll(async () => {
  cloud = await startIsolatedLocalCloud();
  fixturesRoot = await mkdtemp(join(tmpdir(), "local-cloud-fixtures-"));
});

afterAll(async () => {
  await cloud?.dispose();
  if (fixturesRoot) await rm(fixturesRoot, { recursive: true, force: true });
});

describe("local Workers control plane driven by real wrangler commands", () => {
  it("deploys services/db with wrangler; after its migrations /health reports the deployed version", async () => {
    const version = await deployed(cloud, dbService, ["--env", "staging"]);
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
    expect(await healthOf(cloud, "db-staging")).toEqual({
      status: 200,
      body: { service: "db", version, status: "ok" },
    });
  });

  it("a second deploy serves a new version, and versions/deployments list show both", async () => {
    const { dir, callee, calleeConfig } = await fixture("versions");
    const versions = [
      await deployed(cloud, dir, calleeConfig),
      await deployed(cloud, dir, calleeConfig),
    ];
    expect(versions[1]).not.toBe(versions[0]);
    expect((await calleeAnswer(cloud, callee)).callee).toBe(versions[1]);

    const deployments = await wrangler(cloud, dir, [
      "deployments",
      "list",
      "--json",
      ...calleeConfig,
    ]);
    expect(deployments.exitCode, deployments.output).toBe(0);
    const listed = JSON.parse(deployments.output.slice(deployments.output.indexOf("["))) as {
      versions: { version_id: string; percentage: number }[];
      annotations: Record<string, string>;
    }[];
    expect(listed.flatMap((d) => d.versions)).toEqual(
      expect.arrayContaining(versions.map((version_id) => ({ version_id, percentage: 100 }))),
    );
    // Oldest first, as wrangler sorts them. Both came from `wrangler deploy`: the first creates
    // the Worker (an upload), the second uploads a version and deploys it (a deployment).
    expect(listed.map((d) => d.versions[0]?.version_id)).toEqual(versions);
    expect(listed.map((d) => d.annotations["workers/triggered_by"])).toEqual([
      "upload",
      "deployment",
    ]);

    const list = await wrangler(cloud, dir, ["versions", "list", "--json", ...calleeConfig]);
    expect(list.exitCode, list.output).toBe(0);
    const ids = (JSON.parse(list.output.slice(list.output.indexOf("["))) as { id: string }[]).map(
      (v) => v.id,
    );
    expect(ids.sort()).toEqual([...versions].sort());
  });

  it("wrangler rollback <old version> makes the old version serve again", async () => {
    const { dir, callee, calleeConfig } = await fixture("rollback");
    const first = await deployed(cloud, dir, calleeConfig);
    await deployed(cloud, dir, calleeConfig);
    const rollback = await wrangler(cloud, dir, [
      "rollback",
      first,
      "-m",
      "back to first",
      "-y",
      ...calleeConfig,
    ]);
    expect(rollback.exitCode, rollback.output).toBe(0);
    expect((await calleeAnswer(cloud, callee)).callee).toBe(first);
    const deployments = await wrangler(cloud, dir, [
      "deployments",
      "status",
      "--json",
      ...calleeConfig,
    ]);
    const latest = JSON.parse(deployments.output.slice(deployments.output.indexOf("{"))) as {
      versions: { version_id: string }[];
      annotations: Record<string, string>;
    };
    expect(latest.versions[0]?.version_id).toBe(first);
    expect(latest.annotations).toMatchObject({
      "workers/message": "back to first",
      "workers/triggered_by": "rollback",
    });
  });

  it("refuses a service binding to a worker that is not deployed, naming it", async () => {
    const { dir, callee, caller, callerConfig } = await fixture("unbound");
    const run = await wrangler(cloud, dir, ["deploy", ...callerConfig]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain(`points at worker "${callee}", which is not deployed`);
    expect(await cloud.workerUrl(caller)).toBeUndefined();
  });

  it("wires service bindings, D1 and queue producer/consumer between deployed workers", async () => {
    const { dir, caller, callee, calleeConfig, callerConfig } = await fixture("wired");
    const calleeVersion = await deployed(cloud, dir, calleeConfig);
    const callerVersion = await deployed(cloud, dir, callerConfig);
    const url = (await cloud.workerUrl(caller)) as string;
    expect(await getJson(`${url}/health`)).toEqual({
      status: 200,
      body: { version: callerVersion, label: "v1" },
    });
    expect((await getJson(`${url}/callee`)).body).toEqual({
      callee: calleeVersion,
      token: "unset",
    });
    expect(await cloud.workerUrl(callee)).toBeDefined();

    expect((await getJson(`${url}/enqueue?n=42`)).body).toEqual({ queued: true });
    expect(await seen(url, 1)).toEqual([{ n: "42" }]);

    // Cron triggers are registered by the deploy and run on demand.
    await cloud.triggerScheduled(caller, "*/5 * * * *");
    expect((await getJson(`${url}/seen`)).body.seen).toEqual([
      { n: "42" },
      { cron: "*/5 * * * *" },
    ]);
  });

  it("wrangler secret put makes a new version with the secret; its value never comes back out", async () => {
    const { dir, callee, calleeConfig } = await fixture("secret");
    const before = await deployed(cloud, dir, calleeConfig);
    expect(await calleeAnswer(cloud, callee)).toEqual({ callee: before, token: "unset" });
    const put = await wrangler(
      cloud,
      dir,
      ["secret", "put", "TOKEN", ...calleeConfig],
      `${secretCanary}\n`,
    );
    expect(put.exitCode, put.output).toBe(0);
    const after = await calleeAnswer(cloud, callee);
    expect(after.token).toBe("set");
    expect(after.callee).not.toBe(before);
    const versions = await wrangler(cloud, dir, [
      "versions",
      "view",
      String(after.callee),
      "--json",
      ...calleeConfig,
    ]);
    expect(versions.exitCode, versions.output).toBe(0);
    expect(versions.output).toContain('"TOKEN"');
    expect(versions.output).not.toContain(secretCanary);
    expect(await readFile(cloud.logFile, "utf8")).not.toContain(secretCanary);
  });

  it("a request in flight when a deployment swaps the runtime still completes", async () => {
    const { dir, callee, calleeConfig } = await fixture("inflight");
    const active = await deployed(cloud, dir, calleeConfig);
    const url = (await cloud.workerUrl(callee)) as string;
    const inFlight = getJson(`${url}/?slow=4000`);
    await sleep(1_000);
    const redeploy = await fetch(
      `${cloud.apiBaseUrl}/accounts/${cloud.accountId}/workers/scripts/${callee}/deployments`,
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
    expect(await inFlight).toEqual({ status: 200, body: { callee: active, token: "unset" } });
  });

  it("rejects an upload that throws at start-up; the previous version keeps serving", async () => {
    const { dir, callee, calleeConfig, writeCallee } = await fixture("crash");
    const before = await deployed(cloud, dir, calleeConfig);
    await writeCallee('throw new Error("boom at start-up");');
    const run = await wrangler(cloud, dir, ["deploy", ...calleeConfig]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain("boom at start-up");
    expect(run.deployedVersion).toBeUndefined();
    expect((await calleeAnswer(cloud, callee)).callee).toBe(before);
  });

  it("after a restart of the control plane the same versions serve on the same URLs, with D1 data kept", async () => {
    const { dir, caller, callee, database, calleeConfig, callerConfig } = await fixture("restart");
    await deployed(cloud, dir, calleeConfig);
    const callerVersion = await deployed(cloud, dir, callerConfig);
    const callerUrl = (await cloud.workerUrl(caller)) as string;
    const calleeUrl = await cloud.workerUrl(callee);
    await getJson(`${callerUrl}/enqueue?n=7`);
    expect(await seen(callerUrl, 1)).toEqual([{ n: "7" }]);
    const insert = await wrangler(cloud, dir, [
      "d1",
      "execute",
      database,
      "--remote",
      ...callerConfig,
      "--command",
      `INSERT INTO seen (body) VALUES ('{"kept":true}')`,
    ]);
    expect(insert.exitCode, insert.output).toBe(0);

    cloud = await cloud.restart();

    expect(await cloud.workerUrl(caller)).toBe(callerUrl);
    expect(await cloud.workerUrl(callee)).toBe(calleeUrl);
    expect((await getJson(`${callerUrl}/health`)).body.version).toBe(callerVersion);
    expect((await getJson(`${callerUrl}/seen`)).body.seen).toEqual([{ n: "7" }, { kept: true }]);
    const select = await wrangler(cloud, dir, [
      "d1",
      "execute",
      database,
      "--remote",
      "--json",
      ...callerConfig,
      "--command",
      "SELECT body FROM seen",
    ]);
    expect(select.exitCode, select.output).toBe(0);
    const [result] = JSON.parse(select.output.slice(select.output.indexOf("["))) as {
      results: unknown[];
    }[];
    expect(result?.results).toEqual([{ body: '{"n":"7"}' }, { body: '{"kept":true}' }]);
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

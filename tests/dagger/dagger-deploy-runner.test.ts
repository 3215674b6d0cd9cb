import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildCiSteps,
  discoverServices,
  dotEnvKey,
  findService,
  type HttpRequest,
  readToolchainVersions,
  type ServiceInfo,
  workerScriptRequest,
  wranglerArgs,
} from "#core";
import { DaggerDeployRunner } from "../../dagger/src/dagger-deploy-runner.js";
import { DoraFormat } from "../../dagger/src/dora-format.js";
import { DaggerDoraRunner } from "../../dagger/src/dora-runner.js";
import {
  CloudflareContainers,
  CONTAINER_CLOUDFLARE_API,
  SEND_REQUEST_SCRIPT,
  wranglerContainer,
} from "../../dagger/src/runner/cloudflare-containers.js";
import { stepContainers } from "../../dagger/src/runner/step-containers.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { tempDir } from "../helpers/fixture-repo.js";
import { MAIN_ROOT } from "../helpers/temp-repo.js";
import { execsOf, secretProblems } from "./helpers/container-graph-rules.js";
import { type Operation, operationsOf, recordingQueries } from "./helpers/sdk-internals.js";

// Built lazily, inspected without an engine: awaiting any leaf here would fail at once.
const CANARY = "canary-9b8a7c6d5e4f-token";
const ACCOUNT = "0123456789abcdef0123456789abcdef";

async function cloudflareContainers(): Promise<{
  cloudflare: CloudflareContainers;
  gateway: ServiceInfo;
}> {
  const catalog = await discoverServices(fsRepoReader(MAIN_ROOT));
  const workspace = stepContainers(
    dag.host().directory("."),
    buildCiSteps(catalog, { parts: ["install"] }),
    await readToolchainVersions(fsRepoReader(MAIN_ROOT)),
  ).workspace;
  const cloudflare = new CloudflareContainers(
    wranglerContainer(
      workspace,
      dag.setSecret("cloudflare-token", CANARY),
      dag.setSecret("cloudflare-account", ACCOUNT),
    ),
  );
  const gateway = findService(catalog, "gateway");
  if (!gateway) throw new Error("no gateway service");
  return { cloudflare, gateway };
}

function flatten(ops: Operation[]): Operation[] {
  return ops.flatMap((op) => [
    op,
    ...Object.values(op.args).flatMap((value) =>
      Array.isArray(value) &&
      value.every((item) => typeof item === "object" && item && "operation" in item)
        ? flatten(value as Operation[])
        : [],
    ),
  ]);
}

const SYNCED_ID = "synced-container-id";

/** Answers as an engine would: an id for `sync`, the read for a leaf, an id for the rest. */
function engineAnswers(reads: { stdout: string; stderr?: string; contents?: string }) {
  return (query: string) => {
    if (/\bsync\b/.test(query)) return SYNCED_ID;
    if (/\bstdout\b/.test(query)) return reads.stdout;
    if (/\bstderr\b/.test(query)) return reads.stderr ?? "";
    if (/\bcontents\b/.test(query)) return reads.contents ?? "";
    return "nested-object-id";
  };
}

/** The queries that evaluate an exec (one of them names `withExec`), and all the others. */
function split(queries: string[]) {
  return {
    execs: queries.filter((query) => query.includes("withExec")),
    others: queries.filter((query) => !query.includes("withExec")),
  };
}

describe("the Dagger deploy container graph", () => {
  it("passes the Cloudflare credentials only through withSecretVariable", async () => {
    const { cloudflare, gateway } = await cloudflareContainers();
    const ops = operationsOf(
      cloudflare.wranglerCommand(gateway, wranglerArgs.deploy("production")),
    );
    const secretVariables = ops
      .filter((op) => op.operation === "withSecretVariable")
      .map((op) => op.args.name);
    expect(secretVariables).toEqual(["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"]);
    expect(secretProblems(ops)).toEqual([]);
    const envNames = flatten(ops)
      .filter((op) => op.operation === "withEnvVariable")
      .map((op) => op.args.name);
    expect(envNames).not.toContain("CLOUDFLARE_API_TOKEN");
    expect(execsOf(ops).at(-1)).toEqual([
      "pnpm",
      "exec",
      "wrangler",
      "deploy",
      "--env",
      "production",
    ]);
    const outsideSecrets = ops.filter((op) => op.operation !== "withSecretVariable");
    expect(JSON.stringify(outsideSecrets)).not.toContain(CANARY);
  });

  it("would flag a token passed through withEnvVariable (the check can fail)", () => {
    const leaky = dag
      .container()
      .from("node:24.21.0-trixie-slim")
      .withEnvVariable("CLOUDFLARE_API_TOKEN", CANARY);
    expect(secretProblems(operationsOf(leaky))).not.toEqual([]);
  });
});

describe("a side-effecting exec runs once", () => {
  it("a wrangler deploy: one query evaluates it, stdout, stderr and the output file come from the synced container", async () => {
    const { cloudflare, gateway } = await cloudflareContainers();
    const record = JSON.stringify({
      type: "deploy",
      version_id: "00000000-0000-4000-8000-000000000001",
      worker_name: "gateway-production",
      targets: [],
    });
    const { result, queries } = await recordingQueries(
      engineAnswers({ stdout: "Uploaded gateway", contents: `${record}\n` }),
      () => cloudflare.wrangler(gateway, wranglerArgs.deploy("production")),
    );
    const { execs, others } = split(queries);
    expect(execs).toHaveLength(1);
    expect(execs[0]).toMatch(/\bsync\b/);
    const reads = others.filter((query) => /\b(stdout|stderr|contents)\b/.test(query));
    expect(reads).toHaveLength(3);
    for (const read of reads) expect(read).toContain(`node (id: "${SYNCED_ID}")`);
    expect(result).toMatchObject({ exitCode: 0, stdout: "Uploaded gateway" });
    expect(result.records).toHaveLength(1);
  });

  it("an API request (a rollback): one query sends it, its answer comes from the synced container", async () => {
    const { cloudflare } = await cloudflareContainers();
    const answer = { status: 200, headers: {}, body: '{"success":true,"errors":[],"result":{}}' };
    const { result, queries } = await recordingQueries(
      engineAnswers({ stdout: JSON.stringify(answer) }),
      () =>
        cloudflare.http.request({
          method: "POST",
          url: "https://api.example/deployments",
          headers: {},
          body: "{}",
          timeoutMs: 1000,
        }),
    );
    const { execs, others } = split(queries);
    expect(execs).toHaveLength(1);
    expect(others.filter((query) => /\bstdout\b/.test(query))).toEqual([
      expect.stringContaining(`node (id: "${SYNCED_ID}")`),
    ]);
    expect(result).toEqual(answer);
  });

  it("would catch concurrent reads of one exec (three queries each naming it)", async () => {
    const { cloudflare, gateway } = await cloudflareContainers();
    const ran = cloudflare.wranglerCommand(gateway, wranglerArgs.deploy("production"));
    const { queries } = await recordingQueries(engineAnswers({ stdout: "" }), () =>
      Promise.all([ran.stdout(), ran.stderr(), ran.file("/tmp/wrangler-output.ndjson").contents()]),
    );
    expect(split(queries).execs).toHaveLength(3);
  });
});

describe("the Dagger HTTP port", () => {
  it("builds requests with placeholders only: the token and account are never in the module's process", async () => {
    const { cloudflare } = await cloudflareContainers();
    const sent: HttpRequest[] = [];
    await workerScriptRequest(
      {
        request: async (request) => {
          sent.push(request);
          return { status: 200, headers: {}, body: '{"success":true,"errors":[]}' };
        },
      },
      CONTAINER_CLOUDFLARE_API,
      { method: "GET", worker: "gateway-production", path: "deployments" },
    );
    const [request] = sent;
    if (!request) throw new Error("no request was built");
    const ops = operationsOf(cloudflare.requestCommand(request));
    expect(secretProblems(ops)).toEqual([]);
    const text = JSON.stringify(ops.filter((op) => op.operation !== "withSecretVariable"));
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(ACCOUNT);
    expect(text).toContain(CONTAINER_CLOUDFLARE_API.token);
    expect(execsOf(ops).at(-1)?.slice(0, 2)).toEqual(["node", "-e"]);
  });
});

describe("the request script the HTTP port runs in its container", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it("fills in the token and account from its environment and prints the answer", async () => {
    const seen: { url: string; authorization: string | undefined; body: string }[] = [];
    const server = createServer(async (request: IncomingMessage, response) => {
      let body = "";
      for await (const chunk of request) body += chunk;
      seen.push({ url: request.url ?? "", authorization: request.headers.authorization, body });
      response.setHeader("content-type", "application/json");
      response.end('{"success":true,"errors":[],"result":{"id":"d1"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => server.close();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
    const requests: HttpRequest[] = [];
    await workerScriptRequest(
      {
        request: async (request) => {
          requests.push(request);
          return { status: 200, headers: {}, body: '{"success":true,"errors":[]}' };
        },
      },
      { ...CONTAINER_CLOUDFLARE_API, baseUrl: base },
      { method: "POST", worker: "gateway-production", path: "deployments", body: { a: 1 } },
    );
    const file = join(await tempDir("http-request-"), "request.json");
    await writeFile(file, JSON.stringify(requests[0]));
    const { stdout } = await execa("node", ["-e", SEND_REQUEST_SCRIPT, file], {
      env: { CLOUDFLARE_API_TOKEN: "real-token", CLOUDFLARE_ACCOUNT_ID: "real-account" },
    });
    expect(seen).toEqual([
      {
        url: "/client/v4/accounts/real-account/workers/scripts/gateway-production/deployments",
        authorization: "Bearer real-token",
        body: '{"a":1}',
      },
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 200,
      body: '{"success":true,"errors":[],"result":{"id":"d1"}}',
    });
  });

  it("prints a network error as such, for the port to throw", async () => {
    // A port that was just free: nothing answers there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const file = join(await tempDir("http-request-"), "request.json");
    await writeFile(
      file,
      JSON.stringify({
        method: "GET",
        url: `http://127.0.0.1:${port}/x`,
        headers: {},
        timeoutMs: 5000,
      }),
    );
    const { stdout } = await execa("node", ["-e", SEND_REQUEST_SCRIPT, file]);
    expect(JSON.parse(stdout)).toEqual({
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

describe("the missing-credentials hint names the calling function's .env keys", () => {
  const source = dag.host().directory(MAIN_ROOT);
  const hint = (fn: string) =>
    `pass --token env://CLOUDFLARE_API_TOKEN --account env://CLOUDFLARE_ACCOUNT_ID, or set ${dotEnvKey(fn, "token")} and ${dotEnvKey(fn, "account")} in the .env next to dagger.json (nothing was changed)`;

  it.each([
    [
      "deploy",
      () =>
        new DaggerDeployRunner(source, "deploy").deploy(
          { service: "db", base: "" },
          "production",
          {},
          false,
        ),
      "DEPLOY_TOKEN and DEPLOY_ACCOUNT",
    ],
    [
      "rollback",
      () => new DaggerDeployRunner(source, "rollback").rollback("db", "production", undefined, {}),
      "ROLLBACK_TOKEN and ROLLBACK_ACCOUNT",
    ],
    [
      "release",
      () => new DaggerDeployRunner(source, "release").release("db", {}),
      "RELEASE_TOKEN and RELEASE_ACCOUNT",
    ],
    [
      "dora",
      () => new DaggerDoraRunner(source).dora("production", "30d", DoraFormat.Text, {}),
      "DORA_TOKEN and DORA_ACCOUNT",
    ],
  ] as const)("%s", async (fn, call, keys) => {
    const error = await call().then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toContain(keys);
    expect(error?.message.endsWith(hint(fn))).toBe(true);
  });

  it("keys follow Dagger's .env rule: the function in snake case, the argument whole", () => {
    expect(dotEnvKey("deploy", "token")).toBe("DEPLOY_TOKEN");
    expect(dotEnvKey("deploy", "accountId")).toBe("DEPLOY_ACCOUNTID");
    expect(dotEnvKey("maxErrorRate", "token")).toBe("MAX_ERROR_RATE_TOKEN");
  });
});

describe("the Dagger deploy's rollout options", () => {
  it("refuses bad ones in one line before anything runs (no engine is reachable here)", async () => {
    const runner = new DaggerDeployRunner(dag.host().directory("."), "deploy");
    const deploy = (options: Record<string, string>) =>
      runner.deploy({ service: "db", base: "" }, "production", {}, false, options);
    await expect(deploy({ strategy: "foo" })).rejects.toThrow(
      '--strategy: "foo" is not a strategy; valid values: gradual, immediate',
    );
    await expect(deploy({ steps: "0,100" })).rejects.toThrow('--steps: "0,100" is not a list');
    await expect(deploy({ window: "-1" })).rejects.toThrow('--window: "-1" is not a number');
    await expect(
      new DaggerDeployRunner(dag.host().directory("."), "release").release(
        "db",
        {},
        { strategy: "immediate", steps: "10,100" },
      ),
    ).rejects.toThrow("--steps only applies to --strategy gradual");
  });
});

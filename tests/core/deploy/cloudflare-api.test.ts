import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalCloudServer, startLocalCloudServer } from "@workers/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiDeploymentHistory,
  apiRollbackDeployer,
  type CloudflareApi,
  DeployCommandError,
  fetchHttpClient,
  type HttpClient,
  LOCAL_TARGET,
  type WorkerDeployer,
  workerName,
} from "#core";
import { service } from "../../helpers/fakes.js";

/**
 * The calls the pipeline makes to the Cloudflare API itself instead of through wrangler, against
 * the real local control plane (real workerd). The rollback switches the version and carries the
 * message as wrangler's would, and a refusal is one line naming the worker and what to do; the
 * deployment history reads what `wrangler deployments list` would. Each test uploads its own
 * worker.
 */

let dataDir: string;
let server: LocalCloudServer;
const TOKEN = "test-token-that-must-never-show";

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cloudflare-api-"));
  server = await startLocalCloudServer({ dataDir, log: () => undefined });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const api = (overrides: Partial<CloudflareApi> = {}): CloudflareApi => ({
  baseUrl: server.apiBaseUrl,
  accountId: server.accountId,
  token: TOKEN,
  ...overrides,
});

/** Stands in for wrangler: records the fallback rollbacks and history reads it is asked for. */
function fakeWrangler(fail?: string): WorkerDeployer & { rollbacks: string[]; reads: string[] } {
  const rollbacks: string[] = [];
  const reads: string[] = [];
  const unused = async (): Promise<never> => {
    throw new Error("not used by a rollback");
  };
  return {
    rollbacks,
    reads,
    async deploymentHistory(info, target) {
      reads.push(workerName(info, target));
      return ["as wrangler read it"];
    },
    applyMigrations: unused,
    deploy: unused,
    uploadVersion: unused,
    deployVersions: unused,
    async rollback(info, target, versionId) {
      rollbacks.push(`${info.workerNames[target]} ${versionId}`);
      if (fail) throw new DeployCommandError("wrangler rollback", fail);
    },
    manualRollbackCommand: () => "by hand",
  };
}

async function call(method: string, path: string, body?: string | FormData): Promise<unknown> {
  const response = await fetch(`${server.apiBaseUrl}/accounts/${server.accountId}${path}`, {
    method,
    headers: { authorization: "Bearer local-cloud-token" },
    ...(body === undefined ? {} : { body }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

/** Uploads and deploys a one-module worker the way `wrangler deploy` does; returns its version id. */
async function deploy(worker: string, text: string): Promise<string> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", compatibility_date: "2026-07-30", bindings: [] }),
  );
  form.set(
    "index.js",
    new Blob([`export default { fetch() { return new Response(${JSON.stringify(text)}); } };`], {
      type: "application/javascript+module",
    }),
    "index.js",
  );
  const { id } = (await call("POST", `/workers/scripts/${worker}/versions`, form)) as {
    id: string;
  };
  await call(
    "POST",
    `/workers/scripts/${worker}/deployments`,
    JSON.stringify({ versions: [{ version_id: id, percentage: 100 }] }),
  );
  return id;
}

async function serving(worker: string): Promise<string | undefined> {
  return (await server.workers()).find((w) => w.name === worker)?.activeVersionId;
}

/** The worker's two versions, the second serving. */
async function twoVersions(worker: string): Promise<{ first: string; second: string }> {
  const first = await deploy(worker, "first");
  const second = await deploy(worker, "second");
  expect(await serving(worker)).toBe(second);
  return { first, second };
}

async function refusal(promise: Promise<void>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DeployCommandError);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  expect(message).not.toContain(TOKEN);
  return message;
}

describe("rollback through the Cloudflare API", () => {
  it("puts the previous version back at 100% with the rollback message, without wrangler", async () => {
    const { first, second } = await twoVersions("api-rollback-ok");
    const wrangler = fakeWrangler();
    const deployer = apiRollbackDeployer(wrangler, fetchHttpClient, api());
    await deployer.rollback(
      service("api-rollback-ok"),
      LOCAL_TARGET,
      first,
      "pipeline rollback: gateway failed",
    );
    expect(await serving("api-rollback-ok")).toBe(first);
    const { deployments } = (await call("GET", "/workers/scripts/api-rollback-ok/deployments")) as {
      deployments: { versions: unknown; annotations: Record<string, string> }[];
    };
    expect(deployments[0]).toMatchObject({
      versions: [{ version_id: first, percentage: 100 }],
      annotations: {
        "workers/message": "pipeline rollback: gateway failed",
        "workers/triggered_by": "rollback",
      },
    });
    expect(deployments[0]?.annotations["workers/rollback_from"]).toBeDefined();
    expect(second).not.toBe(first);
    expect(wrangler.rollbacks).toEqual([]);
  });

  it("refuses a version the worker does not have in one line naming the worker and what to do", async () => {
    const { second } = await twoVersions("api-rollback-unknown");
    const deployer = apiRollbackDeployer(fakeWrangler(), fetchHttpClient, api());
    const message = await refusal(
      deployer.rollback(
        service("api-rollback-unknown"),
        LOCAL_TARGET,
        "00000000-0000-4000-8000-00000000dead",
        "m",
      ),
    );
    expect(message).toBe(
      "Cloudflare API rollback of api-rollback-unknown: refused (HTTP 404, code 10000: version 00000000-0000-4000-8000-00000000dead does not exist for worker api-rollback-unknown); check that api-rollback-unknown has version 00000000-0000-4000-8000-00000000dead (`wrangler versions list`), or roll back to one it has with --to",
    );
    expect(await serving("api-rollback-unknown")).toBe(second);
  });

  it("refuses a missing token or another account, pointing at the credentials, token unseen", async () => {
    const { first, second } = await twoVersions("api-rollback-auth");
    const wrangler = fakeWrangler();
    for (const bad of [{ token: "" }, { accountId: "0123456789abcdef0123456789abcdef" }]) {
      const deployer = apiRollbackDeployer(wrangler, fetchHttpClient, api(bad));
      const message = await refusal(
        deployer.rollback(service("api-rollback-auth"), LOCAL_TARGET, first, "m"),
      );
      expect(message).toMatch(
        /^Cloudflare API rollback of api-rollback-auth: refused \(HTTP 403, code \d+: .+\); check that CLOUDFLARE_API_TOKEN may edit Workers scripts in the account CLOUDFLARE_ACCOUNT_ID names/,
      );
    }
    expect(await serving("api-rollback-auth")).toBe(second);
    expect(wrangler.rollbacks).toEqual([]);
  });

  it("falls back to wrangler where the API cannot be asked, and says so when that fails too", async () => {
    const unreachable = api({ baseUrl: "http://127.0.0.1:1/client/v4" });
    const wrangler = fakeWrangler();
    await apiRollbackDeployer(wrangler, fetchHttpClient, unreachable).rollback(
      service("w"),
      "production",
      "v1",
      "m",
    );
    expect(wrangler.rollbacks).toEqual(["w-production v1"]);

    // A server that is not the API (a worker answering text) is no answer either.
    await deploy("api-rollback-not-api", "plain text");
    const notApiUrl = await server.workerUrl("api-rollback-not-api");
    expect(notApiUrl).toMatch(/^http:/);
    const notApi = api({ baseUrl: `${notApiUrl}` });
    const failing = fakeWrangler("API error 10000");
    const message = await refusal(
      apiRollbackDeployer(failing, fetchHttpClient, notApi).rollback(
        service("w"),
        LOCAL_TARGET,
        "v1",
        "m",
      ),
    );
    expect(message).toBe(
      "Cloudflare API rollback of w: the API answered HTTP 200 without its JSON envelope, and the wrangler fallback failed too: wrangler rollback: API error 10000",
    );
  });

  it("confirms a rollback across changed secrets with force=true, as `wrangler rollback -y` does", async () => {
    const urls: string[] = [];
    const http: HttpClient = {
      async request({ url }) {
        urls.push(url);
        const changed = !url.endsWith("?force=true");
        return {
          status: changed ? 400 : 200,
          headers: {},
          body: JSON.stringify({
            success: !changed,
            errors: changed
              ? [{ code: 10220, message: "The following secrets have changed: A" }]
              : [],
            messages: [],
            result: changed ? null : {},
          }),
        };
      },
    };
    await apiRollbackDeployer(
      fakeWrangler(),
      http,
      api({ baseUrl: "https://api.test/v4/" }),
    ).rollback(service("w"), "staging", "v1", "m");
    expect(urls).toEqual([
      `https://api.test/v4/accounts/${server.accountId}/workers/scripts/w-staging/deployments`,
      `https://api.test/v4/accounts/${server.accountId}/workers/scripts/w-staging/deployments?force=true`,
    ]);
  });
});

describe("deployment history through the Cloudflare API", () => {
  it("lists each deployment's main version, oldest first, without wrangler", async () => {
    const { first, second } = await twoVersions("api-history-ok");
    await call(
      "POST",
      "/workers/scripts/api-history-ok/deployments",
      JSON.stringify({
        versions: [
          { version_id: first, percentage: 10 },
          { version_id: second, percentage: 90 },
        ],
      }),
    );
    const wrangler = fakeWrangler();
    const history = await apiDeploymentHistory(wrangler, fetchHttpClient, api()).deploymentHistory(
      service("api-history-ok"),
      LOCAL_TARGET,
    );
    expect(history).toEqual([first, second, second]);
    expect(wrangler.reads).toEqual([]);
  });

  it("is empty for a worker never deployed, without wrangler", async () => {
    const wrangler = fakeWrangler();
    const history = await apiDeploymentHistory(wrangler, fetchHttpClient, api()).deploymentHistory(
      service("api-history-never-deployed"),
      LOCAL_TARGET,
    );
    expect(history).toEqual([]);
    expect(wrangler.reads).toEqual([]);
  });

  it("leaves a refusal, an unreachable API or an answer that is not the API's to wrangler", async () => {
    await deploy("api-history-not-api", "plain text");
    const notApi = await server.workerUrl("api-history-not-api");
    expect(notApi).toMatch(/^http:/);
    const wrangler = fakeWrangler();
    const notices: string[] = [];
    for (const bad of [
      { accountId: "0123456789abcdef0123456789abcdef" },
      { baseUrl: "http://127.0.0.1:1/client/v4" },
      { baseUrl: `${notApi}` },
    ]) {
      const history = await apiDeploymentHistory(wrangler, fetchHttpClient, api(bad), (line) =>
        notices.push(line),
      ).deploymentHistory(service("w"), "production");
      expect(history).toEqual(["as wrangler read it"]);
    }
    expect(wrangler.reads).toEqual(["w-production", "w-production", "w-production"]);
    // One line each on why, naming the worker, never the token.
    expect(notices).toEqual([
      expect.stringMatching(
        /^w-production: the Cloudflare API's deployments list: refused \(HTTP 403, code \d+: .+\); asking wrangler instead$/,
      ),
      expect.stringMatching(
        /^w-production: the Cloudflare API's deployments list: the API did not answer \(.+\); asking wrangler instead$/,
      ),
      "w-production: the Cloudflare API's deployments list: the API answered HTTP 200 without its JSON envelope; asking wrangler instead",
    ]);
    for (const line of notices) expect(line).not.toContain(TOKEN);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCloudServer, localApiToken, startLocalCloudServer } from "../src/index.js";
import { wranglerEnvFor } from "../src/process/lifecycle.js";
import { printedJson, runWrangler } from "./run-wrangler.js";

/**
 * The control plane answers the official Cloudflare TypeScript SDK as it answers wrangler: its
 * list iterators request page after page until one comes back empty, so they end only if the
 * control plane pages as Cloudflare does. Every test makes its own workers or databases.
 */

let dataDir: string;
let server: LocalCloudServer;
let client: Cloudflare;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-cloud-sdk-"));
  server = await startLocalCloudServer({ dataDir, log: () => undefined });
  client = new Cloudflare({ apiToken: localApiToken, baseURL: server.apiBaseUrl, maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * `wrangler deploy`'s first upload (PUT script: a version deployed at once), `count` times;
 * returns the version ids (the upload answer calls the version `deployment_id`).
 */
async function deployTimes(script: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const form = new FormData();
    form.set(
      "metadata",
      JSON.stringify({ main_module: "index.js", compatibility_date: "2026-07-30" }),
    );
    form.set(
      "index.js",
      new Blob([`export default { fetch() { return new Response("${n}"); } };`], {
        type: "application/javascript+module",
      }),
      "index.js",
    );
    const response = await fetch(
      `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/${script}`,
      { method: "PUT", headers: { authorization: `Bearer ${localApiToken}` }, body: form },
    );
    const { result } = (await response.json()) as { result: { deployment_id: string } };
    ids.push(result.deployment_id);
  }
  return ids;
}

/** Everything an SDK iterator yields, failing instead of hanging if it does not end. */
async function drain<T>(iterator: AsyncIterable<T>, limit = 100): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) {
    items.push(item);
    if (items.length > limit) throw new Error(`the iterator did not end after ${limit} items`);
  }
  return items;
}

const account_id = () => server.accountId;

interface Served {
  versions: { version_id: string }[];
}
const servedVersion = (deployment: Served) => deployment.versions[0]?.version_id;

describe("the local control plane, read by the official Cloudflare SDK", () => {
  it("lists a worker's versions page by page, newest first, and the iterator ends", async () => {
    const versions = await deployTimes("sdk-versions", 5);
    const listed = await drain(
      client.workers.scripts.versions.list("sdk-versions", {
        account_id: account_id(),
        per_page: 2,
      }),
    );
    expect(listed.map((version) => version.id)).toEqual([...versions].reverse());
    const page = await client.workers.scripts.versions.list("sdk-versions", {
      account_id: account_id(),
      page: 3,
      per_page: 2,
    });
    expect(page.result_info).toEqual({
      page: 3,
      per_page: 2,
      count: 1,
      total_count: 5,
      total_pages: 3,
    });
  });

  it("lists scripts and D1 databases through their iterators, each item once", async () => {
    await deployTimes("sdk-script-a", 1);
    await deployTimes("sdk-script-b", 1);
    const scripts = await drain(client.workers.scripts.list({ account_id: account_id() }));
    expect(scripts.map((script) => script.id)).toEqual(
      expect.arrayContaining(["sdk-script-a", "sdk-script-b"]),
    );
    expect(new Set(scripts.map((script) => script.id)).size).toBe(scripts.length);

    const created = [];
    for (const name of ["sdk-db-1", "sdk-db-2", "sdk-db-3"]) {
      created.push((await client.d1.database.create({ account_id: account_id(), name })).uuid);
    }
    const databases = await drain(
      client.d1.database.list({ account_id: account_id(), per_page: 2 }),
    );
    expect(databases.map((database) => database.uuid)).toEqual(created);
    expect(await drain(client.accounts.list({ per_page: 5 }))).toEqual([
      expect.objectContaining({ id: server.accountId }),
    ]);
  });

  // SDK 7.3 pages deployments with the class that reads `result.items`, but the API (and
  // wrangler) keep them in `result.deployments`: its iterator yields nothing, here as on
  // Cloudflare. The pages themselves are read through the SDK's requests.
  it("pages deployments newest first; wrangler reads the same deployments and versions", async () => {
    const deployed = [...(await deployTimes("sdk-deployments", 3))].reverse();
    const pages = [];
    for (let page = 1; page <= 3; page++) {
      const answer = await client.workers.scripts.deployments.list("sdk-deployments", {
        account_id: account_id(),
        page,
        per_page: 2,
      });
      pages.push(
        (answer.result as unknown as { deployments: Served[] }).deployments.map(servedVersion),
      );
    }
    expect(pages).toEqual([deployed.slice(0, 2), deployed.slice(2), []]);
    expect(
      await drain(
        client.workers.scripts.deployments.list("sdk-deployments", { account_id: account_id() }),
      ),
    ).toEqual([]);

    const dir = await mkdtemp(join(dataDir, "wrangler-"));
    await writeFile(
      join(dir, "wrangler.jsonc"),
      JSON.stringify({
        name: "sdk-deployments",
        main: "index.js",
        compatibility_date: "2026-07-30",
      }),
    );
    const env = { wranglerEnv: wranglerEnvFor(server.apiBaseUrl, server.accountId) };
    const listed = await runWrangler(env, dir, ["deployments", "list", "--json"]);
    expect(listed.exitCode, listed.output).toBe(0);
    // wrangler prints them oldest first.
    expect(printedJson<Served[]>(listed.output).map(servedVersion)).toEqual(
      [...deployed].reverse(),
    );
    const versions = await runWrangler(env, dir, ["versions", "list", "--json"]);
    expect(versions.exitCode, versions.output).toBe(0);
    const sdkVersions = await drain(
      client.workers.scripts.versions.list("sdk-deployments", { account_id: account_id() }),
    );
    expect(
      printedJson<{ id: string }[]>(versions.output)
        .map((v) => v.id)
        .sort(),
    ).toEqual(sdkVersions.map((v) => v.id).sort());
  });

  it("refuses a page or page size out of range with Cloudflare's 400, naming the parameter", async () => {
    await deployTimes("sdk-bad-page", 1);
    const refused = (per_page: number, page?: number) =>
      client.workers.scripts.versions
        .list("sdk-bad-page", { account_id: account_id(), per_page, ...(page && { page }) })
        .then(
          () => undefined,
          (error: InstanceType<typeof Cloudflare.APIError>) => ({
            status: error.status,
            errors: error.errors,
          }),
        );
    const invalid = (message: string) => ({
      status: 400,
      errors: [
        {
          code: 6008,
          message: "Invalid request parameters",
          error_chain: [{ code: 11000, message }],
        },
      ],
    });
    expect(await refused(0)).toEqual(
      invalid("per_page variable must be a number between 1 and 1000"),
    );
    expect(await refused(1001)).toEqual(
      invalid("per_page variable must be a number between 1 and 1000"),
    );
    expect(await refused(10, -1)).toEqual(invalid("page variable must be a number of at least 1"));
  });
});

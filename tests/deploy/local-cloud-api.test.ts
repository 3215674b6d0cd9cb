import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCloudServer, startLocalCloudServer } from "../../pipeline/local-cloud/index.js";

/**
 * The control plane's API as wrangler calls it, request by request, for the answers a wrangler
 * run rarely reaches: refusals of bad input, and the queue and D1 resource routes. Each test
 * makes its own worker, queue or database, so they run alone and in any order.
 */

let dataDir: string;
let server: LocalCloudServer;
const logged: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-cloud-api-"));
  server = await startLocalCloudServer({ dataDir, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Envelope {
  status: number;
  success: boolean;
  result: unknown;
  errors: { code: number; message: string }[];
}

async function api(method: string, path: string, body?: unknown): Promise<Envelope> {
  const response = await fetch(`${server.apiBaseUrl}/accounts/${server.accountId}${path}`, {
    method,
    headers: { authorization: "Bearer local-cloud-token", "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, ...((await response.json()) as Omit<Envelope, "status">) };
}

/** A one-module worker uploaded the way wrangler does it (multipart: metadata and the module). */
async function upload(script: string, bindings: unknown[] = []): Promise<string> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", compatibility_date: "2026-07-30", bindings }),
  );
  form.set(
    "index.js",
    new Blob(['export default { fetch() { return new Response("ok"); } };'], {
      type: "application/javascript+module",
    }),
    "index.js",
  );
  const response = await fetch(
    `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/${script}/versions`,
    { method: "POST", headers: { authorization: "Bearer local-cloud-token" }, body: form },
  );
  const { result } = (await response.json()) as { result: { id: string } };
  return result.id;
}

const refusal = (status: number, message: string | RegExp) =>
  expect.objectContaining({
    status,
    success: false,
    errors: [
      expect.objectContaining({
        message: typeof message === "string" ? message : expect.stringMatching(message),
      }),
    ],
  });

describe("the local control plane's API", () => {
  it("refuses a body that is not JSON, or not the shape the route takes, naming the problem", async () => {
    await upload("api-bad-body");
    expect(await api("POST", "/workers/scripts/api-bad-body/deployments", "{not json")).toEqual(
      refusal(400, "the request body is not valid JSON"),
    );
    expect(
      await api("POST", "/workers/scripts/api-bad-body/deployments", { versions: "all" }),
    ).toEqual(refusal(400, /^invalid request body: /));
  });

  it("refuses an upload without metadata, without main_module, or missing its main module", async () => {
    const post = (form: FormData | string) =>
      fetch(`${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/api-upload`, {
        method: "PUT",
        headers: { authorization: "Bearer local-cloud-token" },
        body: form,
      }).then(async (response) => ({
        status: response.status,
        ...((await response.json()) as Omit<Envelope, "status">),
      }));
    const form = (metadata?: unknown) => {
      const data = new FormData();
      if (metadata !== undefined) data.set("metadata", JSON.stringify(metadata));
      data.set("other.js", new Blob(["export default {}"]), "other.js");
      return data;
    };
    expect(await post("plain text")).toEqual(
      refusal(400, /^expected a multipart\/form-data worker upload/),
    );
    expect(await post(form())).toEqual(refusal(400, "the upload has no `metadata` part"));
    expect(await post(form({ body_part: "script" }))).toEqual(
      refusal(400, /only ES module workers/),
    );
    expect(await post(form({ main_module: "index.js", bindings: "none" }))).toEqual(
      refusal(400, /^invalid upload metadata/),
    );
    expect(await post(form({ main_module: "index.js" }))).toEqual(
      refusal(400, 'main_module "index.js" is not among the uploaded parts (other.js)'),
    );
  });

  it("refuses deployments with no version, shares that do not add up to 100, or an unknown version", async () => {
    const version = await upload("api-deploy");
    const deploy = (versions: unknown[]) =>
      api("POST", "/workers/scripts/api-deploy/deployments", { versions });
    expect(await deploy([])).toEqual(refusal(400, "a deployment has one or two versions, got 0"));
    expect(await deploy([{ version_id: version, percentage: 90 }])).toEqual(
      refusal(400, "version percentages must be between 0 and 100 and add up to 100, got 90"),
    );
    expect(await deploy([{ version_id: "v-unknown", percentage: 100 }])).toEqual(
      refusal(404, "version v-unknown does not exist for worker api-deploy"),
    );
    expect(await api("GET", "/workers/scripts/api-deploy/versions/v-unknown")).toEqual(
      refusal(404, "version v-unknown does not exist for worker api-deploy"),
    );
  });

  it("splits traffic between two versions as a deployment, and keeps script settings", async () => {
    const first = await upload("api-split");
    const second = await upload("api-split");
    const split = await api("POST", "/workers/scripts/api-split/deployments", {
      versions: [
        { version_id: first, percentage: 30 },
        { version_id: second, percentage: 70 },
      ],
      annotations: { "workers/message": "canary" },
    });
    expect(split.result).toMatchObject({
      annotations: { "workers/triggered_by": "deployment", "workers/message": "canary" },
    });
    expect(
      await api("PATCH", "/workers/scripts/api-split/script-settings", { logpush: true }),
    ).toMatchObject({ success: true, result: { logpush: true } });
    expect((await api("GET", "/workers/scripts/api-split/settings")).result).toMatchObject({
      logpush: true,
      bindings: [],
    });
    // The status reports the larger share as the active version; both serve (see the rollout tests).
    expect(server.workers().find((worker) => worker.name === "api-split")?.activeVersionId).toBe(
      second,
    );
  });

  // As Cloudflare (error 10215): secrets change only while the newest version serves 100%.
  it("refuses adding or deleting a secret on a worker that never deployed", async () => {
    await upload("api-secrets");
    expect(
      await api("PUT", "/workers/scripts/api-secrets/secrets", {
        name: "TOKEN",
        text: "t",
        type: "secret_text",
      }),
    ).toEqual(refusal(400, "the latest version of worker api-secrets is not deployed at 100%"));
    expect(await api("DELETE", "/workers/scripts/api-secrets/secrets/TOKEN")).toEqual(
      refusal(400, "the latest version of worker api-secrets is not deployed at 100%"),
    );
  });

  it("deletes a script, after which it is unknown", async () => {
    await upload("api-delete");
    expect((await api("GET", "/workers/scripts")).result).toContainEqual(
      expect.objectContaining({ id: "api-delete" }),
    );
    expect(await api("DELETE", "/workers/scripts/api-delete")).toMatchObject({ success: true });
    expect((await api("GET", "/workers/workers/api-delete")).status).toBe(404);
  });

  it("keeps a queue's consumers: add by script name, update its dead-letter queue, remove it", async () => {
    const { result: queue } = (await api("POST", "/queues", { queue_name: "api-jobs" })) as {
      result: { queue_id: string };
    };
    const consumers = `/queues/${queue.queue_id}/consumers`;
    expect(await api("POST", consumers, { settings: {} })).toEqual(
      refusal(400, "a worker consumer needs script_name"),
    );
    const added = (await api("POST", consumers, {
      script: "api-consumer",
      dead_letter_queue: "api-jobs-dlq",
      settings: { max_retries: 2 },
    })) as { result: { consumer_id: string } };
    expect(added.result).toMatchObject({ script: "api-consumer", queue_name: "api-jobs" });
    expect((await api("GET", "/queues?name=api-jobs-dlq")).result).toHaveLength(1);

    const consumer = `${consumers}/${added.result.consumer_id}`;
    expect(await api("PUT", consumer, { script_name: "api-consumer" })).toMatchObject({
      result: { script: "api-consumer" },
    });
    expect((await api("GET", consumers)).result).toEqual([
      expect.not.objectContaining({ dead_letter_queue: expect.anything() }),
    ]);
    expect(
      await api("PUT", consumer, { script_name: "api-consumer", dead_letter_queue: "api-dlq2" }),
    ).toMatchObject({ result: { dead_letter_queue: "api-dlq2" } });
    expect(await api("PUT", `${consumers}/c-unknown`, {})).toEqual(
      refusal(404, "consumer c-unknown does not exist"),
    );
    expect(await api("DELETE", consumer)).toMatchObject({ success: true });
    expect((await api("GET", `/queues/${queue.queue_id}`)).result).toMatchObject({
      consumers: [],
    });
    expect(await api("GET", "/queues/q-unknown")).toEqual(
      refusal(404, "queue q-unknown does not exist"),
    );
  });

  it("creates D1 databases by name and by first use of an id, and answers queries", async () => {
    const { result: created } = (await api("POST", "/d1/database", { name: "api-db" })) as {
      result: { uuid: string };
    };
    expect((await api("GET", "/d1/database?name=api-db")).result).toEqual([
      expect.objectContaining({ uuid: created.uuid, name: "api-db" }),
    ]);
    expect((await api("GET", `/d1/database/${created.uuid}`)).result).toMatchObject({
      name: "api-db",
    });
    const query = await api("POST", "/d1/database/api-first-use/query", {
      sql: "SELECT ? AS answer",
      params: [42],
    });
    expect(query.result).toMatchObject([{ success: true, results: [{ answer: 42 }] }]);
    expect((await api("GET", "/d1/database")).result).toContainEqual(
      expect.objectContaining({ uuid: "api-first-use" }),
    );
  });

  it("answers its status, and 404 outside the API and for a cron on a worker it does not have", async () => {
    const origin = new URL(server.apiBaseUrl).origin;
    const status = (await (await fetch(`${origin}/__local-cloud/status`)).json()) as {
      accountId: string;
      pid: number;
    };
    expect(status).toMatchObject({ accountId: server.accountId, pid: process.pid });
    const outside = await fetch(`${origin}/elsewhere`);
    expect(outside.status).toBe(404);
    const cron = await fetch(`${origin}/__local-cloud/workers/api-nobody/scheduled?cron=*`, {
      method: "POST",
    });
    expect(cron.status).toBe(404);
    expect(((await cron.json()) as Envelope).errors[0]?.message).toContain("api-nobody");
  });

  it("logs one line per call, never a body", async () => {
    await api("PUT", "/workers/scripts/api-log/secrets", {
      name: "S",
      text: "body-canary",
      type: "secret_text",
    });
    expect(logged.some((line) => line.includes("PUT /client/v4/accounts/"))).toBe(true);
    expect(logged.join("\n")).not.toContain("body-canary");
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCloudServer, startLocalCloudServer } from "../src/index.js";

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

const plainWorker = 'export default { fetch() { return new Response("ok"); } };';

/** A one-module worker uploaded the way wrangler does it (multipart: metadata and the module). */
async function uploadAnswer(
  script: string,
  bindings: unknown[] = [],
  { metadata = {}, source = plainWorker }: { metadata?: object; source?: string } = {},
): Promise<Envelope> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({
      main_module: "index.js",
      compatibility_date: "2026-07-30",
      bindings,
      ...metadata,
    }),
  );
  form.set("index.js", new Blob([source], { type: "application/javascript+module" }), "index.js");
  const response = await fetch(
    `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/${script}/versions`,
    { method: "POST", headers: { authorization: "Bearer local-cloud-token" }, body: form },
  );
  return { status: response.status, ...((await response.json()) as Omit<Envelope, "status">) };
}

async function upload(script: string, bindings: unknown[] = []): Promise<string> {
  return ((await uploadAnswer(script, bindings)).result as { id: string }).id;
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

  it("pages a list with page and per_page, whole without them, and refuses values out of range", async () => {
    const versions = [
      await upload("api-paged"),
      await upload("api-paged"),
      await upload("api-paged"),
    ].reverse();
    const list = (query: string) => api("GET", `/workers/scripts/api-paged/versions${query}`);
    const ids = (answer: Envelope) =>
      (answer.result as { items: { id: string }[] }).items.map((v) => v.id);
    const second = (await list("?page=2&per_page=2")) as Envelope & { result_info: unknown };
    expect(ids(second)).toEqual(versions.slice(2));
    expect(second.result_info).toEqual({
      page: 2,
      per_page: 2,
      count: 1,
      total_count: 3,
      total_pages: 2,
    });
    expect(ids(await list(""))).toEqual(versions);
    expect(ids(await list("?page=2"))).toEqual([]);
    expect(ids(await list("?deployable=true&per_page=1"))).toEqual(versions);
    for (const [query, message] of [
      ["?page=0", "page variable must be a number of at least 1"],
      ["?page=two", "page variable must be a number of at least 1"],
      ["?per_page=1001", "per_page variable must be a number between 1 and 1000"],
    ] as const) {
      expect(await list(query)).toEqual(
        expect.objectContaining({
          status: 400,
          errors: [
            {
              code: 6008,
              message: "Invalid request parameters",
              error_chain: [{ code: 11000, message }],
            },
          ],
        }),
      );
    }
  });

  it("keeps KV namespaces and R2 buckets as resources, and answers 10006 for a missing bucket", async () => {
    const { result: namespace } = (await api("POST", "/storage/kv/namespaces", {
      title: "api-kv",
    })) as { result: { id: string } };
    expect(await api("POST", "/storage/kv/namespaces", { title: "api-kv" })).toEqual(
      refusal(400, 'a namespace with title "api-kv" already exists'),
    );
    expect((await api("GET", "/storage/kv/namespaces?per_page=1000")).result).toContainEqual({
      id: namespace.id,
      title: "api-kv",
    });
    expect((await api("GET", `/storage/kv/namespaces/${namespace.id}`)).result).toEqual({
      id: namespace.id,
      title: "api-kv",
    });
    expect(await api("GET", "/storage/kv/namespaces/kv-unknown")).toEqual(
      refusal(404, "KV namespace kv-unknown does not exist"),
    );

    const missing = await api("GET", "/r2/buckets/api-bucket");
    expect(missing).toMatchObject({ status: 404, errors: [{ code: 10006 }] });
    expect(await api("POST", "/r2/buckets", { name: "api-bucket" })).toMatchObject({
      result: { name: "api-bucket" },
    });
    expect((await api("GET", "/r2/buckets/api-bucket")).result).toMatchObject({
      name: "api-bucket",
    });
    expect((await api("GET", "/r2/buckets")).result).toMatchObject({
      buckets: [expect.objectContaining({ name: "api-bucket" })],
    });
  });

  it("applies Durable Object migrations by tag and refuses what the platform refuses", async () => {
    const worker = (...classes: string[]) =>
      `import { DurableObject } from "cloudflare:workers";
${classes.map((name) => `export class ${name} extends DurableObject {}`).join("\n")}
export default { fetch() { return new Response("ok"); } };`;
    const binding = (className: string, script?: string) => [
      {
        name: "OBJECTS",
        type: "durable_object_namespace",
        class_name: className,
        ...(script && { script_name: script }),
      },
    ];
    const migrate = (old_tag: string | undefined, new_tag: string, step: object) => ({
      metadata: { migrations: { ...(old_tag && { old_tag }), new_tag, steps: [step] } },
    });

    expect(await uploadAnswer("api-do", binding("Counter"), { source: worker("Counter") })).toEqual(
      refusal(400, /needs class Counter of worker api-do, which no migration created/),
    );
    const created = await uploadAnswer("api-do", binding("Counter"), {
      source: worker("Counter"),
      ...migrate(undefined, "v1", { new_sqlite_classes: ["Counter"] }),
    });
    expect(created).toMatchObject({ status: 200, success: true });
    expect((await api("GET", "/workers/services/api-do")).result).toMatchObject({
      default_environment: { script: { migration_tag: "v1" } },
    });

    const refusals = [
      [
        migrate(undefined, "v2", { new_classes: ["Other"] }),
        /start from tag "\(none\)", but its current migration tag is "v1"/,
      ],
      [migrate("v1", "v2", { new_classes: ["Counter"] }), /class Counter already exists/],
      [migrate("v1", "v2", { deleted_classes: ["Gone"] }), /cannot delete Gone/],
      [migrate("v1", "v2", { renamed_classes: [{ from: "Gone", to: "X" }] }), /cannot rename Gone/],
      [
        migrate("v1", "v2", {
          transferred_classes: [{ from: "A", from_script: "other", to: "Counter" }],
        }),
        /transferred_classes migrations are not run/,
      ],
    ] as const;
    for (const [options, message] of refusals) {
      expect(
        await uploadAnswer("api-do", binding("Counter"), { source: worker("Counter"), ...options }),
      ).toEqual(refusal(400, message));
    }

    const renamed = await uploadAnswer("api-do", binding("Tally"), {
      source: worker("Tally"),
      ...migrate("v1", "v2", { renamed_classes: [{ from: "Counter", to: "Tally" }] }),
    });
    expect(renamed).toMatchObject({ status: 200, success: true });
    // Another worker binds the class once its host serves; both then run side by side.
    const deploy = (script: string, answer: Envelope) =>
      api("POST", `/workers/scripts/${script}/deployments`, {
        versions: [{ version_id: (answer.result as { id: string }).id, percentage: 100 }],
      });
    expect(await deploy("api-do", renamed)).toMatchObject({ success: true });
    const user = await uploadAnswer("api-do-user", binding("Tally", "api-do"));
    expect(user).toMatchObject({ status: 200, success: true });
    expect(await deploy("api-do-user", user)).toMatchObject({ success: true });
    expect(await uploadAnswer("api-do-user", binding("Tally", "api-nobody"))).toEqual(
      refusal(
        400,
        'Durable Object binding "OBJECTS" points at worker "api-nobody", which is not deployed on this account; deploy it first',
      ),
    );
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

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IsolatedLocalCloud, startIsolatedLocalCloud } from "../src/index.js";
import { runWrangler } from "./run-wrangler.js";

/**
 * KV, R2 and Durable Objects run in the control plane as on Cloudflare, deployed by real
 * wrangler; a binding kind it cannot run is refused at upload. Each test writes its own worker
 * (named for the test), so they share the control plane but no data.
 */

let cloud: IsolatedLocalCloud;
let fixtures: string;

beforeAll(async () => {
  cloud = await startIsolatedLocalCloud();
  fixtures = await mkdtemp(join(tmpdir(), "local-cloud-bindings-"));
});

afterAll(async () => {
  await cloud?.dispose();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

// `/write` stores a KV value and an R2 object and counts up a Durable Object; every request
// answers what the three hold, so a later version shows what an earlier one wrote.
const workerSource = (revision: string) => `// revision ${revision}
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async add(step) {
    const count = ((await this.ctx.storage.get("count")) ?? 0) + step;
    await this.ctx.storage.put("count", count);
    return count;
  }
}

export default {
  async fetch(request, env) {
    const write = new URL(request.url).pathname === "/write";
    if (write) {
      await env.KV.put("greeting", "hello from kv");
      await env.BUCKET.put("note.txt", "hello from r2");
    }
    const counter = env.COUNTER.get(env.COUNTER.idFromName("shared"));
    const object = await env.BUCKET.get("note.txt");
    return Response.json({
      version: env.VERSION.id,
      kv: await env.KV.get("greeting"),
      r2: object === null ? null : await object.text(),
      count: await counter.add(write ? 1 : 0),
    });
  },
};`;

/** Writes `<name>.jsonc` and `<name>.js` binding KV, R2 and a Durable Object, plus `extra`. */
async function writeWorker(name: string, revision: string, extra: object = {}): Promise<string[]> {
  await writeFile(
    join(fixtures, `${name}.jsonc`),
    JSON.stringify({
      name,
      main: `${name}.js`,
      compatibility_date: "2025-06-01",
      version_metadata: { binding: "VERSION" },
      kv_namespaces: [{ binding: "KV", id: `${name.replaceAll("-", "")}`.padEnd(32, "0") }],
      r2_buckets: [{ binding: "BUCKET", bucket_name: `${name}-bucket` }],
      durable_objects: { bindings: [{ name: "COUNTER", class_name: "Counter" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["Counter"] }],
      ...extra,
    }),
  );
  await writeFile(join(fixtures, `${name}.js`), workerSource(revision));
  return ["-c", `${name}.jsonc`];
}

async function deploy(config: string[]) {
  return runWrangler(cloud, fixtures, ["deploy", ...config]);
}

async function call(name: string, path = "/") {
  const url = await cloud.workerUrl(name);
  expect(url, `${name} has a URL`).toBeDefined();
  const response = await fetch(`${url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { version: string; kv: string; r2: string; count: number };
}

describe("KV, R2 and Durable Objects in the local control plane", () => {
  it("keeps KV, R2 and Durable Object data across a new version and a restart", async () => {
    const name = "lc-bindings-data";
    const first = await deploy(await writeWorker(name, "1"));
    expect(first.exitCode, first.output).toBe(0);
    const written = await call(name, "/write");
    expect(written).toMatchObject({ kv: "hello from kv", r2: "hello from r2", count: 1 });

    // The second deploy finds migration tag v1 on the script and sends no migration again.
    const second = await deploy(await writeWorker(name, "2"));
    expect(second.exitCode, second.output).toBe(0);
    const read = await call(name);
    expect(read.version).not.toBe(written.version);
    expect(read).toMatchObject({ kv: "hello from kv", r2: "hello from r2", count: 1 });
    expect((await call(name, "/write")).count).toBe(2);

    cloud = await cloud.restart();
    expect(await call(name)).toMatchObject({
      version: read.version,
      kv: "hello from kv",
      r2: "hello from r2",
      count: 2,
    });
  });

  it("runs an Analytics Engine dataset, which most Workers of the compatibility corpus bind", async () => {
    const name = "lc-bindings-analytics";
    await writeFile(
      join(fixtures, `${name}.jsonc`),
      JSON.stringify({
        name,
        main: `${name}.js`,
        compatibility_date: "2025-06-01",
        analytics_engine_datasets: [{ binding: "METRICS", dataset: "corpus-metrics" }],
      }),
    );
    await writeFile(
      join(fixtures, `${name}.js`),
      `export default {
  fetch(request, env) {
    env.METRICS.writeDataPoint({ blobs: [new URL(request.url).pathname], doubles: [1] });
    return Response.json({ wrote: typeof env.METRICS.writeDataPoint });
  },
};`,
    );
    const result = await deploy(["-c", `${name}.jsonc`]);
    expect(result.exitCode, result.output).toBe(0);
    const url = await cloud.workerUrl(name);
    const response = await fetch(`${url}/counted`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ wrote: "function" });
  });

  it("refuses an ai binding in one line naming it, and the previous version keeps serving", async () => {
    const name = "lc-bindings-ai";
    const config = await writeWorker(name, "1");
    expect((await deploy(config)).exitCode).toBe(0);
    const before = await call(name, "/write");

    await writeWorker(name, "2", { ai: { binding: "AI" } });
    const refused = await deploy(config);
    expect(refused.exitCode).not.toBe(0);
    const refusal = refused.output
      .split("\n")
      .find((line) => line.includes('binding "AI" has type "ai"'));
    expect(refusal).toMatch(
      /binding "AI" has type "ai", which the local control plane does not run \(supported: .*kv_namespace, r2_bucket, durable_object_namespace\)/,
    );
    expect(await call(name)).toEqual(before);
    const status = (await cloud.workers()).find((worker) => worker.name === name);
    expect(status).toMatchObject({ activeVersionId: before.version, versions: 1 });
    expect(await readFile(cloud.logFile, "utf8")).not.toContain("UNKNOWN ROUTE");
  });
});

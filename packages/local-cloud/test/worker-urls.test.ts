import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { type LocalCloudServer, localApiToken, startLocalCloudServer } from "../src/index.js";

/**
 * What a worker's URL does besides answering: requests with bodies, version override headers
 * that do not parse, a worker with no deployment, a client that leaves, a port taken while the
 * control plane was down; and the control plane's own routes outside the API. Each test starts
 * its own control plane in this process on a data dir of its own.
 */

const dataDirs: string[] = [];
const servers: LocalCloudServer[] = [];

async function start(dataDir?: string): Promise<{ server: LocalCloudServer; dataDir: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), "local-cloud-urls-")));
  if (!dataDir) dataDirs.push(dir);
  const server = await startLocalCloudServer({ dataDir: dir, log: () => undefined });
  servers.push(server);
  return { server, dataDir: dir };
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dataDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const authorization = { authorization: `Bearer ${localApiToken}` };

/** Uploads one module the way wrangler does: PUT deploys it at once, POST .../versions does not. */
async function upload(
  server: LocalCloudServer,
  script: string,
  source: string,
  how: "deploy" | "version",
): Promise<string> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({
      main_module: "index.js",
      compatibility_date: "2025-06-01",
      bindings: [{ type: "version_metadata", name: "VERSION" }],
    }),
  );
  form.set("index.js", new Blob([source], { type: "application/javascript+module" }), "index.js");
  const base = `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/${script}`;
  const response = await fetch(how === "deploy" ? base : `${base}/versions`, {
    method: how === "deploy" ? "PUT" : "POST",
    headers: authorization,
    body: form,
  });
  const body = (await response.json()) as {
    success: boolean;
    result: { id?: string; deployment_id?: string };
  };
  expect(body.success, JSON.stringify(body)).toBe(true);
  return (body.result.deployment_id ?? body.result.id) as string;
}

const echoSource = `export default {
  async fetch(request, env) {
    return Response.json({
      version: env.VERSION.id,
      method: request.method,
      body: await request.text(),
      length: request.headers.get("content-length"),
    });
  },
};`;

describe("worker URLs", () => {
  it("forward a request body whole, with its length, also one the client sent in chunks", async () => {
    const { server } = await start();
    const version = await upload(server, "lc-urls-echo", echoSource, "deploy");
    const url = server.workerUrl("lc-urls-echo") as string;
    const posted = await fetch(url, { method: "POST", body: '{"n":1}' });
    expect(await posted.json()).toEqual({
      version,
      method: "POST",
      body: '{"n":1}',
      length: "7",
    });
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first,"));
        controller.enqueue(new TextEncoder().encode("second"));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: "PUT",
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(await streamed.json()).toEqual({
      version,
      method: "PUT",
      body: "first,second",
      length: "12",
    });
  });

  it("ignore a version override header that does not parse, and one naming another worker", async () => {
    const { server } = await start();
    const first = await upload(server, "lc-urls-override", echoSource, "deploy");
    const second = await upload(server, "lc-urls-override", echoSource, "version");
    // The second serves 0% of the traffic: only an override naming it reaches it.
    const split = await fetch(
      `${server.apiBaseUrl}/accounts/${server.accountId}/workers/scripts/lc-urls-override/deployments`,
      {
        method: "POST",
        headers: { ...authorization, "content-type": "application/json" },
        body: JSON.stringify({
          versions: [
            { version_id: first, percentage: 100 },
            { version_id: second, percentage: 0 },
          ],
        }),
      },
    );
    expect(split.status).toBe(200);
    const url = server.workerUrl("lc-urls-override") as string;
    const versionFor = async (header: string) => {
      const response = await fetch(url, {
        headers: { "cloudflare-workers-version-overrides": header },
      });
      return ((await response.json()) as { version: string }).version;
    };
    expect(await versionFor(`lc-urls-override="${second}"`)).toBe(second);
    expect(await versionFor(`lc-urls-override=${second}`)).toBe(first);
    expect(await versionFor(`other-worker="${second}"`)).toBe(first);
  });

  it("of a worker with versions but no deployment answer 503 naming it", async () => {
    const { server } = await start();
    await upload(server, "lc-urls-undeployed", echoSource, "version");
    const url = server.workerUrl("lc-urls-undeployed");
    expect(url).toBeDefined();
    expect(server.workers()).toEqual([
      {
        name: "lc-urls-undeployed",
        url,
        activeVersionId: undefined,
        versions: 1,
        deployedOn: undefined,
      },
    ]);
    const response = await fetch(url as string);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: {
        code: "no_active_version",
        message: "worker lc-urls-undeployed has no active deployment",
      },
    });
  });

  it("count a client that leaves before the response ends as clientDisconnected, not an error", async () => {
    const { server } = await start();
    // Sends its headers and a first chunk, then keeps the body open on a timer (a stream with
    // nothing pending would be ended by workerd as a hung request).
    const version = await upload(
      server,
      "lc-urls-hang",
      `export default {
        fetch() {
          const body = new ReadableStream({
            start(c) { c.enqueue(new TextEncoder().encode("first")); },
            pull() { return new Promise((resolve) => setTimeout(resolve, 60_000)); },
          });
          return new Response(body);
        },
      };`,
      "deploy",
    );
    const leaving = new AbortController();
    const response = await fetch(server.workerUrl("lc-urls-hang") as string, {
      signal: leaving.signal,
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first");
    leaving.abort();
    await reader.closed.catch(() => undefined);

    const query = {
      query: `{ viewer { accounts(filter: { accountTag: "${server.accountId}" }) {
        workersInvocationsAdaptive(limit: 10, filter: { scriptName: "lc-urls-hang" }) {
          dimensions { scriptVersion status } sum { requests errors } } } } }`,
    };
    // The proxy sees the client's socket close a moment after the abort: poll until it has.
    let rows: unknown[] = [];
    for (let attempt = 0; attempt < 200 && rows.length === 0; attempt++) {
      if (attempt > 0) await sleep(50);
      const answer = await fetch(`${server.apiBaseUrl}/graphql`, {
        method: "POST",
        headers: { ...authorization, "content-type": "application/json" },
        body: JSON.stringify(query),
      });
      const { data } = (await answer.json()) as {
        data: { viewer: { accounts: { workersInvocationsAdaptive: unknown[] }[] } };
      };
      rows = data.viewer.accounts[0]?.workersInvocationsAdaptive ?? [];
    }
    expect(rows).toEqual([
      {
        dimensions: { scriptVersion: version, status: "clientDisconnected" },
        sum: { requests: 1, errors: 0 },
      },
    ]);
  });

  it("keep their port across restarts, and move to a new one when it was taken meanwhile", async () => {
    const first = await start();
    await upload(first.server, "lc-urls-port", echoSource, "deploy");
    const url = first.server.workerUrl("lc-urls-port") as string;
    await first.server.close();
    servers.splice(servers.indexOf(first.server), 1);

    const again = await start(first.dataDir);
    expect(again.server.workerUrl("lc-urls-port")).toBe(url);
    await again.server.close();
    servers.splice(servers.indexOf(again.server), 1);

    const squatter = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(Number(new URL(url).port), "127.0.0.1", resolve),
    );
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const moved = await start(first.dataDir);
      // Warnings are emitted on a later tick than the one that caused them.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
      const movedUrl = moved.server.workerUrl("lc-urls-port") as string;
      expect(movedUrl).not.toBe(url);
      expect((await fetch(movedUrl, { method: "POST", body: "x" })).status).toBe(200);
      await moved.server.close();
      servers.splice(servers.indexOf(moved.server), 1);
    } finally {
      process.off("warning", onWarning);
      squatter.close();
    }
    // The new port was saved: the next start keeps it even though the old one is free again.
    const last = await start(first.dataDir);
    expect(last.server.workerUrl("lc-urls-port")).not.toBe(url);
  });
});

describe("the control plane's own routes", () => {
  it("answers a path outside the API base with a 404 envelope naming it", async () => {
    const { server } = await start();
    const origin = new URL(server.apiBaseUrl).origin;
    const response = await fetch(`${origin}/accounts`, { headers: authorization });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      success: false,
      errors: [
        {
          code: 7003,
          message: "local control plane: /accounts is outside the API base /client/v4",
        },
      ],
    });
  });

  it("runs a scheduled handler on demand, and reports one that fails or a worker that has none", async () => {
    const { server } = await start();
    await upload(
      server,
      "lc-urls-cron",
      `export default {
        fetch() { return new Response("ok"); },
        scheduled(controller) { if (controller.cron === "fail") throw new Error("cron failed"); },
      };`,
      "deploy",
    );
    const origin = new URL(server.apiBaseUrl).origin;
    const trigger = async (worker: string, query: string) => {
      const response = await fetch(`${origin}/__local-cloud/workers/${worker}/scheduled${query}`, {
        method: "POST",
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await trigger("lc-urls-cron", "?cron=*%2F5+*+*+*+*")).toMatchObject({
      status: 200,
      body: { success: true, result: { outcome: "ok" } },
    });
    expect(await trigger("lc-urls-cron", "?cron=fail")).toMatchObject({
      status: 500,
      body: {
        success: false,
        errors: [
          {
            message: 'scheduled handler of lc-urls-cron for "fail" ended with outcome exception',
          },
        ],
      },
    });
    expect(await trigger("lc-urls-nobody", "")).toMatchObject({
      status: 404,
      body: {
        success: false,
        errors: [{ message: "worker lc-urls-nobody has no active version" }],
      },
    });
  });
});

describe("starting on a taken API port", () => {
  /** The workerd processes this test process has started (Miniflare runs them as children). */
  async function workerdChildren(): Promise<number> {
    const { stdout } = await execa("ps", ["-o", "comm=", "--ppid", String(process.pid)], {
      reject: false,
    });
    return stdout.split("\n").filter((name) => name.startsWith("workerd")).length;
  }

  it("fails with EADDRINUSE and leaves no workerd running", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "local-cloud-urls-"));
    dataDirs.push(dataDir);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    try {
      const before = await workerdChildren();
      const port = (squatter.address() as { port: number }).port;
      await expect(
        startLocalCloudServer({ dataDir, port, log: () => undefined }),
      ).rejects.toMatchObject({ code: "EADDRINUSE" });
      expect(await workerdChildren()).toBe(before);
    } finally {
      squatter.close();
    }
  });
});

import { describe, expect, inject, it } from "vitest";
import { callGateway } from "../harness/gateway-client.js";
import { useCluster } from "../harness/use-cluster.js";

const cluster = useCluster();
const specs = inject("workerSpecs");
// What the gateway must report on: every service its wrangler.jsonc binds to.
const downstream = specs.find((spec) => spec.name === "gateway")?.config.services ?? [];

async function ownHealth(worker: string): Promise<unknown> {
  const response = await (await cluster.mf.getWorker(worker)).fetch("http://internal/health");
  return response.json();
}

// It calls every worker's /health directly, so a change to any of them runs it.
describe("gateway edge", { tags: specs.map((spec) => spec.name) }, () => {
  it("binds to every other service", () => {
    expect(downstream.map((binding) => binding.service).sort()).toEqual(
      specs
        .map((spec) => spec.name)
        .filter((name) => name !== "gateway")
        .sort(),
    );
  });

  it.each(specs.map((spec) => spec.name))(
    "%s answers /health with its version from the version metadata binding",
    async (name) => {
      expect(await ownHealth(name)).toMatchObject({
        service: name,
        version: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: "ok",
      });
    },
  );

  it("/health reports every downstream service ok, with their versions", async () => {
    const response = await callGateway(cluster.mf, "/health");

    expect(response.status).toBe(200);
    const expected: Record<string, unknown> = {};
    for (const { service } of downstream) {
      const { version } = (await ownHealth(service)) as { version: string };
      expected[service] = { status: "ok", version };
    }
    expect(response.body).toMatchObject({ service: "gateway", status: "ok", services: expected });
    expect(Object.keys((response.body as { services: object }).services).sort()).toEqual(
      Object.keys(expected).sort(),
    );
  });

  it("tags every response with a request id, errors included", async () => {
    const ok = await callGateway(cluster.mf, "/health");
    const notFound = await callGateway(cluster.mf, "/nowhere");

    expect(ok.headers.get("x-request-id")).toEqual(expect.any(String));
    expect(notFound.headers.get("x-request-id")).toEqual(expect.any(String));
    expect(notFound.headers.get("x-request-id")).not.toBe(ok.headers.get("x-request-id"));
  });

  it("answers a CORS preflight", async () => {
    const response = await callGateway(cluster.mf, "/v1/jobs", {
      method: "OPTIONS",
      headers: {
        // Miniflare's entry worker refuses non-local Origin headers (DNS-rebinding guard).
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });

    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-origin")).toMatch(
      /^(\*|http:\/\/localhost:5173)$/,
    );
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

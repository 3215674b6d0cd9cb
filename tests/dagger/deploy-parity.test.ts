import { describe, expect, it } from "vitest";
import {
  type CloudflareDeployStack,
  DEFAULT_HEALTH_POLICY,
  type DeployContext,
  type DeployPlan,
  type HttpClient,
  type RepoReader,
  runDeploy,
  runRollback,
} from "#core";
import { containerDeployStack } from "../../dagger/src/dagger-deploy-runner.js";
import { CONTAINER_CLOUDFLARE_API } from "../../dagger/src/runner/cloudflare-containers.js";
import { hostDeployStack } from "../../pipeline/deploy/cloudflare-ports.js";
import { service, virtualClock } from "../helpers/fakes.js";
import { RecordingCloudflare } from "../helpers/recording-cloudflare.js";

/**
 * `pnpm run pipeline deploy` and `dagger call deploy` assemble the same deploy stack from their
 * own ports: the same scenarios driven through each adapter, over one recording Cloudflare,
 * must make the same calls (wrangler's argv per service; the API's method, URL, credentials and
 * body) in the same order.
 */

const TOKEN = "host-token-0f9e8d";
const ACCOUNT = "host-account-7c6b5a";
const db = service("db");
const gateway = service("gateway", ["db"]);
const plan: DeployPlan = {
  target: "production",
  waves: [[db], [gateway]],
  smokeTests: {},
  selection: "test",
};
const ORIGIN = { commit: "0123456789abcdef0123456789abcdef01234567", run: "parity" };
/** No wrangler config to read: no D1 migrations to apply. */
const reader: RepoReader = { readText: async () => undefined, listDirectories: async () => [] };

type Adapter = (cloudflare: RecordingCloudflare) => CloudflareDeployStack;

const adapters: Record<"host" | "dagger", Adapter> = {
  host: (cloudflare) =>
    hostDeployStack(
      { run: cloudflare.wrangler, http: cloudflare.http },
      {
        reader,
        api: { baseUrl: CONTAINER_CLOUDFLARE_API.baseUrl, token: TOKEN, accountId: ACCOUNT },
        secrets: [TOKEN],
        origin: ORIGIN,
      },
    ),
  dagger: (cloudflare) =>
    containerDeployStack({ wrangler: cloudflare.wrangler, http: cloudflare.http }, reader, ORIGIN),
};

/** The deployed Workers' health endpoints: `unhealthy` answer 500 for versions this run made. */
function workers(cloudflare: RecordingCloudflare, unhealthy: Set<string>): HttpClient {
  return {
    request: async ({ url }) => {
      const name = new URL(url).hostname.split(".")[0] ?? "";
      const version = cloudflare.serving(`${name}-production`) ?? "";
      const broken = unhealthy.has(name) && !version.startsWith("old-");
      return {
        status: broken ? 500 : 200,
        headers: {},
        body: JSON.stringify({ service: name, version, status: broken ? "degraded" : "ok" }),
      };
    },
  };
}

interface Scenario {
  unhealthy?: string[];
  /** Interrupt the run as this service's deploy starts. */
  interruptAt?: string;
  run(context: DeployContext): Promise<{ ok: boolean }>;
}

const SCENARIOS: Record<string, Scenario> = {
  success: { run: (context) => runDeploy(context, plan) },
  "failed health": { unhealthy: ["gateway"], run: (context) => runDeploy(context, plan) },
  rollback: { run: (context) => runRollback(context, gateway, undefined) },
  interrupt: { interruptAt: "db", run: (context) => runDeploy(context, plan) },
};

async function drive(adapter: Adapter, scenario: Scenario) {
  const cloudflare = new RecordingCloudflare({
    [TOKEN]: "<token>",
    [ACCOUNT]: "<account>",
    [CONTAINER_CLOUDFLARE_API.token]: "<token>",
    [CONTAINER_CLOUDFLARE_API.accountId]: "<account>",
  });
  cloudflare.seed("db-production", "old-db");
  cloudflare.seed("gateway-production", "old-gateway-1");
  cloudflare.seed("gateway-production", "old-gateway-2");
  const interrupt = new AbortController();
  cloudflare.onDeploy = (name) => {
    if (name === scenario.interruptAt) interrupt.abort("SIGTERM");
  };
  const { deployer } = adapter(cloudflare);
  const report = await scenario.run({
    target: "production",
    deployer,
    http: workers(cloudflare, new Set(scenario.unhealthy)),
    endpoints: { baseUrl: async (info) => `https://${info.name}.example.workers.dev` },
    clock: virtualClock(),
    health: { ...DEFAULT_HEALTH_POLICY, timeoutMs: 3_000 },
    progress: () => undefined,
    ...(scenario.interruptAt ? { interrupt: interrupt.signal } : {}),
  });
  return { ok: report.ok, calls: cloudflare.calls };
}

describe("the host and Dagger deploy adapters", () => {
  it.each(Object.entries(SCENARIOS))("%s: make the same calls", async (_name, scenario) => {
    const host = await drive(adapters.host, scenario);
    const dagger = await drive(adapters.dagger, scenario);
    expect(dagger).toEqual(host);
    expect(host.calls.length).toBeGreaterThan(0);
    expect(host.calls.join("\n")).not.toContain(TOKEN);
  });

  it("roll back through the API, with the token only in its Authorization header", async () => {
    const { ok, calls } = await drive(adapters.dagger, SCENARIOS["failed health"] as Scenario);
    expect(ok).toBe(false);
    const rollbacks = calls.filter((call) => call.startsWith("POST "));
    expect(rollbacks).toEqual([
      expect.stringMatching(
        /^POST https:\/\/api\.cloudflare\.com\/client\/v4\/accounts\/<account>\/workers\/scripts\/gateway-production\/deployments Bearer <token> .*"version_id":"old-gateway-2"/,
      ),
      expect.stringMatching(
        /scripts\/db-production\/deployments Bearer <token> .*"version_id":"old-db"/,
      ),
    ]);
    expect(calls.some((call) => call.includes("wrangler rollback"))).toBe(false);
  });

  it("interrupted during db's deploy: start nothing more and roll db back", async () => {
    const { ok, calls } = await drive(adapters.dagger, SCENARIOS.interrupt as Scenario);
    expect(ok).toBe(false);
    expect(calls.filter((call) => call.includes("wrangler deploy"))).toEqual([
      expect.stringMatching(/^services\/db\$ wrangler deploy/),
    ]);
    expect(calls.at(-1)).toMatch(/^POST .*\/db-production\/deployments .*"version_id":"old-db"/);
  });

  it("would catch an adapter that rolls back with wrangler instead", async () => {
    const viaWrangler: Adapter = (cloudflare) => {
      const stack = adapters.dagger(cloudflare);
      return {
        ...stack,
        deployer: {
          ...stack.deployer,
          rollback: async (info, target, versionId, message) => {
            await cloudflare.wrangler(info, [
              "rollback",
              versionId,
              "-m",
              message,
              "-y",
              "--env",
              target,
            ]);
          },
        },
      };
    };
    const scenario = SCENARIOS["failed health"] as Scenario;
    expect(await drive(viaWrangler, scenario)).not.toEqual(await drive(adapters.host, scenario));
  });
});

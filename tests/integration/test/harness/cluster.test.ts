import { describe, expect, it } from "vitest";
import { startCluster } from "../../harness/cluster.js";
import { HARNESS_TAG } from "../../harness/flow-tags.js";
import type { WorkerSpec } from "../../harness/worker-spec.js";

function spec(name: string, bindsTo: string[]): WorkerSpec {
  return {
    name,
    scriptPath: `/nonexistent/${name}/index.js`,
    databases: [],
    config: {
      name,
      compatibility_date: "2026-01-01",
      compatibility_flags: [],
      vars: {},
      services: bindsTo.map((service) => ({ binding: service.toUpperCase(), service })),
      d1_databases: [],
      queues: { producers: [], consumers: [] },
      triggers: { crons: [] },
    },
  };
}

describe("startCluster", { tags: [HARNESS_TAG] }, () => {
  it("refuses a service binding to a worker no config defines, naming both", async () => {
    await expect(startCluster([spec("gateway", ["auth"]), spec("db", [])])).rejects.toThrow(
      'gateway: service binding AUTH points at "auth", which no services/*/wrangler.jsonc defines (defined: gateway, db)',
    );
  });

  it("refuses to start without workers", async () => {
    await expect(startCluster([])).rejects.toThrow(/no services\/\*\/wrangler.jsonc found/);
  });
});

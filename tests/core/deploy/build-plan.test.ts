import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildDeployPlan,
  discoverServices,
  LOCAL_TARGET,
  parseSmokeTests,
  renderPlan,
  requireDeployTarget,
  resolveRollout,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { MAIN_ROOT } from "../../helpers/temp-repo.js";

const reader = fsRepoReader(MAIN_ROOT);
const names = (waves: { name: string }[][]) => waves.map((wave) => wave.map((s) => s.name));

describe("buildDeployPlan over this repository", () => {
  it("orders chosen services by the bindings and never drops one whose dependency was not chosen", async () => {
    const catalog = await discoverServices(reader);
    const plan = await buildDeployPlan(reader, catalog, "production", ["gateway", "db"], "test");
    expect(names(plan.waves)).toEqual([["db"], ["gateway"]]);
    const alone = await buildDeployPlan(reader, catalog, "staging", ["gateway"], "test");
    expect(names(alone.waves)).toEqual([["gateway"]]);
    expect(alone.smokeTests.gateway?.length).toBeGreaterThan(0);
    expect(renderPlan(alone)).toContain("wave 1: gateway → gateway-staging");
    // The dry run says how traffic would move: production's default is gradual.
    expect(renderPlan(plan, resolveRollout("production", {})).split("\n")[1]).toBe(
      "  gradual: 10% → 50% → 100%, 60.0s windows polled every 7.5s; a window fails on 5xx above 5.0%, 5xx or 4xx significantly above the old version's (95%), or p95 above 2× the old version's (at least 100 ms); passing needs 20 requests per version (waiting up to 300.0s more); bake 900.0s after 100%",
    );
    expect(renderPlan(alone, resolveRollout("staging", {}))).toContain(
      "immediate: each service's new version takes all traffic at once",
    );
  });

  it("rejects an unknown service and an unknown environment, listing the valid ones", async () => {
    const catalog = await discoverServices(reader);
    await expect(buildDeployPlan(reader, catalog, LOCAL_TARGET, ["nope"], "test")).rejects.toThrow(
      'unknown service "nope"; valid services: auth, db, email, gateway, mcp, queue, schedule, webhooks',
    );
    expect(() => requireDeployTarget(catalog, "prod")).toThrow(
      'unknown environment "prod"; valid environments: @local, staging, production',
    );
  });
});

describe("smoke.json", () => {
  it("names the file and the field of a malformed test", () => {
    expect(() =>
      parseSmokeTests(
        "services/x/smoke.json",
        '[{"name":"a","method":"GET","path":"health","expectStatus":200}]',
      ),
    ).toThrow("services/x/smoke.json: 0.path: expected a path starting with /");
    expect(() => parseSmokeTests("services/x/smoke.json", "[")).toThrow(
      /^services\/x\/smoke\.json: invalid JSON/,
    );
  });

  it("fails the plan (before anything deploys) when a service's smoke.json is invalid", async () => {
    const root = await mkdtemp(join(tmpdir(), "smoke-plan-"));
    try {
      const catalog = await discoverServices(reader);
      const gateway = catalog.services.find((s) => s.name === "gateway");
      if (!gateway) throw new Error("no gateway");
      await writeFile(
        join(root, "smoke.json"),
        '[{"name":"x","method":"FETCH","path":"/","expectStatus":200}]',
      );
      const broken = { ...catalog, services: [{ ...gateway, smokeTestFile: "smoke.json" }] };
      await expect(
        buildDeployPlan(fsRepoReader(root), broken, LOCAL_TARGET, ["gateway"], "test"),
      ).rejects.toThrow(/^smoke\.json: 0\.method: /);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

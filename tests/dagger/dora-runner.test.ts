import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import {
  buildCiSteps,
  discoverServices,
  findService,
  InvalidSinceError,
  readDeployHistory,
  readToolchainVersions,
} from "#core";
import { DoraFormat } from "../../dagger/src/dora-format.js";
import { DaggerDoraRunner } from "../../dagger/src/dora-runner.js";
import {
  CloudflareContainers,
  wranglerContainer,
} from "../../dagger/src/runner/cloudflare-containers.js";
import { stepContainers } from "../../dagger/src/runner/step-containers.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { MAIN_ROOT } from "../helpers/temp-repo.js";
import { execsOf, secretProblems } from "./helpers/container-graph-rules.js";
import { operationsOf } from "./helpers/sdk-internals.js";

// Built lazily and inspected without an engine: awaiting any leaf here would fail at once.
const CANARY = "canary-4d3c2b1a0f9e-token";
const source = dag.host().directory(MAIN_ROOT);

describe("dagger call dora", () => {
  it("refuses a bad --since before any container runs", async () => {
    const runner = new DaggerDoraRunner(source);
    await expect(runner.dora("production", "30x", DoraFormat.Text, {})).rejects.toThrow(
      InvalidSinceError,
    );
  });

  it("needs --token and --account, and says so before any container runs", async () => {
    const runner = new DaggerDoraRunner(source);
    await expect(runner.dora("production", "30d", DoraFormat.Markdown, {})).rejects.toThrow(
      "reading the deployments of production needs --token and --account: pass --token env://CLOUDFLARE_API_TOKEN --account env://CLOUDFLARE_ACCOUNT_ID, or set DORA_TOKEN and DORA_ACCOUNT in the .env next to dagger.json (nothing was changed)",
    );
  });

  it("runs only wrangler's read commands, with the credentials only as secret variables", async () => {
    const catalog = await discoverServices(fsRepoReader(MAIN_ROOT));
    const workspace = stepContainers(
      source,
      buildCiSteps(catalog, { parts: ["install"] }),
      await readToolchainVersions(fsRepoReader(MAIN_ROOT)),
    ).workspace;
    const cloudflare = new CloudflareContainers(
      wranglerContainer(
        workspace,
        dag.setSecret("cloudflare-token", CANARY),
        dag.setSecret("cloudflare-account", "0123456789abcdef0123456789abcdef"),
      ),
    );
    const gateway = findService(catalog, "gateway");
    if (!gateway) throw new Error("no gateway service");
    // Every call the history reader makes for a deployed Worker, each built as its container.
    const calls: string[][] = [];
    const answers: Record<string, string> = {
      deployments: JSON.stringify([
        {
          created_on: "2026-11-20T10:00:00Z",
          versions: [{ version_id: "00000000-0000-4000-8000-000000000001", percentage: 100 }],
        },
      ]),
      versions: "[]",
      view: JSON.stringify({ id: "00000000-0000-4000-8000-000000000001" }),
    };
    await readDeployHistory(
      {
        run: async (_service, args) => {
          calls.push(args);
          const key = args[1] === "view" ? "view" : (args[0] as string);
          return { exitCode: 0, stdout: answers[key] ?? "", stderr: "", records: [] };
        },
      },
      [gateway],
      "production",
    );
    expect(calls.map((args) => args.slice(0, 2).join(" "))).toEqual([
      "deployments list",
      "versions list",
      "versions view",
    ]);
    for (const args of calls) {
      const ops = await operationsOf(cloudflare.wranglerCommand(gateway, args));
      expect(secretProblems(ops)).toEqual([]);
      expect(execsOf(ops).at(-1)).toEqual(["pnpm", "exec", "wrangler", ...args]);
      expect(
        JSON.stringify(ops.filter((op) => op.operation !== "withSecretVariable")),
      ).not.toContain(CANARY);
    }
  });
});

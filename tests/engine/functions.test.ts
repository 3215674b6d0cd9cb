import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daggerCall, repoCopy } from "./helpers/dagger-cli.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function copy(): Promise<string> {
  const repo = await repoCopy();
  cleanups.push(repo.remove);
  return repo.root;
}

describe("the module's functions on a real engine", () => {
  it("test --service gateway returns its step's container, without local-only files", async () => {
    const root = await copy();
    // What a developer's checkout has and the engine must never see.
    await mkdir(join(root, ".local-cloud"), { recursive: true });
    await writeFile(join(root, ".local-cloud", "secrets.json"), '{"TOKEN":"local-secret"}');
    await writeFile(join(root, ".env"), "DEPLOY_TOKEN=env://CLOUDFLARE_API_TOKEN\n");
    await writeFile(join(root, "services", "gateway", ".dev.vars"), "ADMIN_TOKEN=dev\n");
    await mkdir(join(root, "services", "gateway", "node_modules"), { recursive: true });
    await writeFile(join(root, "services", "gateway", "node_modules", "host-only-marker"), "");
    const out = await mkdtemp(join(tmpdir(), "engine-export-"));
    cleanups.push(() => rm(out, { recursive: true, force: true }));

    const result = await daggerCall(root, [
      "test",
      "--service",
      "gateway",
      "directory",
      "--path",
      "/workspace",
      "export",
      "--path",
      out,
    ]);
    expect(result.stderr).not.toMatch(/^Error: /m);
    expect(result.exitCode).toBe(0);
    for (const present of [
      "package.json",
      "services/gateway/src/index.ts",
      "services/db/src/index.ts",
    ]) {
      expect({ present, exists: existsSync(join(out, present)) }).toEqual({
        present,
        exists: true,
      });
    }
    // The step's own output, and node_modules from the container's install, not the host's.
    expect(existsSync(join(out, "services/gateway/coverage/coverage-summary.json"))).toBe(true);
    expect(existsSync(join(out, "node_modules/.pnpm"))).toBe(true);
    for (const absent of [
      ".git",
      ".local-cloud",
      ".env",
      "services/gateway/.dev.vars",
      "services/gateway/node_modules/host-only-marker",
    ]) {
      expect({ absent, exists: existsSync(join(out, absent)) }).toEqual({ absent, exists: false });
    }
  });

  it("deploy --dry-run takes the token and account as secrets and never prints them", async () => {
    const root = await copy();
    const token = "canary-token-5f0c2a9e1b7d";
    const account = "canary-account-8e3d1f6a";
    const result = await daggerCall(
      root,
      [
        "deploy",
        "--service",
        "all",
        "--env",
        "staging",
        "--dry-run",
        "--token",
        "env://ENGINE_TEST_TOKEN",
        "--account",
        "env://ENGINE_TEST_ACCOUNT",
      ],
      { ENGINE_TEST_TOKEN: token, ENGINE_TEST_ACCOUNT: account },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/wave 1.*db/s);
    expect(result.stdout).toMatch(/gateway/);
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(account);
    }
  });

  it("affected and graph answer like the host", async () => {
    const root = await copy();
    const graph = await daggerCall(root, ["graph", "--env", "staging"]);
    expect(graph.exitCode).toBe(0);
    expect(graph.stdout).toMatch(/db/);
    expect(graph.stdout.indexOf("db")).toBeLessThan(graph.stdout.lastIndexOf("gateway"));
    const affected = await daggerCall(root, ["affected", "--base", "HEAD"]);
    expect(affected.exitCode).toBe(0);
    expect(affected.stdout).toMatch(/nothing|no service/i);
    const missing = await daggerCall(root, ["affected", "--base", "no-such-ref"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("no-such-ref");
  });
});

import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  type AffectedResult,
  detectAffected,
  discoverServices,
  MissingBaseRefError,
  type ServiceCatalog,
} from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { commitFiles, fixtureRepo, git, tempDir } from "../helpers/fixture-repo.js";

async function affectedAfter(
  files: Record<string, string>,
): Promise<{ repo: string; catalog: ServiceCatalog; result: AffectedResult }> {
  const repo = await fixtureRepo();
  await commitFiles(repo, files);
  const catalog = await discoverServices(fsRepoReader(repo));
  return { repo, catalog, result: await detectAffected(catalog, gitChangeProbe(repo), "HEAD~1") };
}

const names = (result: AffectedResult) => result.services.map((service) => service.name);

describe("affected detection in real git repositories", () => {
  it("selects only a leaf service that changed", async () => {
    const { result } = await affectedAfter({ "services/gateway/src/index.ts": "export {};\n" });
    expect(result.scope).toBe("some");
    expect(result.services).toEqual([
      { name: "gateway", reason: "changed: services/gateway/src/index.ts" },
    ]);
    expect(result.tooling).toBeUndefined();
    expect(result.integration).toBeDefined();
    expect(result.warnings).toEqual([]);
  });

  it("adds workspace dependents (from pnpm) and binding dependents (which pnpm cannot see)", async () => {
    const { repo, result } = await affectedAfter({
      "services/db/src/index.ts": "export const changed = true;\n",
    });
    expect(names(result)).toEqual(["auth", "db", "email", "gateway"]);
    const reasons = Object.fromEntries(result.services.map((s) => [s.name, s.reason]));
    expect(reasons.db).toBe("changed: services/db/src/index.ts");
    expect(reasons.auth).toBe("depends on db");
    expect(reasons.email).toBe("binds to db");
    expect(reasons.gateway).toMatch(/^(depends on|binds to) (auth|email)$/);
    // pnpm itself selects the workspace dependents but not email, bound only in wrangler.jsonc.
    const fromPnpm = await gitChangeProbe(repo).pnpmChangedPackages("HEAD~1");
    expect(fromPnpm).toContain("@workers/auth");
    expect(fromPnpm).not.toContain("@workers/email");
  });

  it("selects a service bound only through wrangler.jsonc when its dependency changes", async () => {
    const { result } = await affectedAfter({ "services/email/src/index.ts": "export {};\n" });
    expect(result.services).toEqual([
      { name: "email", reason: "changed: services/email/src/index.ts" },
      { name: "gateway", reason: "binds to email" },
    ]);
  });

  it("treats a lockfile change as affecting everything", async () => {
    const { result } = await affectedAfter({ "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    expect(result.scope).toBe("all");
    expect(names(result)).toEqual(["auth", "db", "email", "gateway"]);
    expect(result.services[0]?.reason).toBe("global file pnpm-lock.yaml changed");
    expect(result.tooling).toBeDefined();
  });

  it("selects nothing when only documentation changed", async () => {
    const { result } = await affectedAfter({
      "README.md": "# Changed\n",
      "services/db/README.md": "# db\n",
      "docs/guide.md": "# Guide, revised\n",
    });
    expect(result.scope).toBe("none");
    expect(result.services).toEqual([]);
    expect(result.integration).toBeUndefined();
    expect(result.changedFiles).toHaveLength(3);
  });

  it("counts uncommitted and untracked files, as pnpm does", async () => {
    const repo = await fixtureRepo();
    await commitFiles(repo, { "docs/guide.md": "# only docs committed\n" });
    await writeFile(`${repo}/services/email/src/new-file.ts`, "export {};\n");
    const catalog = await discoverServices(fsRepoReader(repo));
    const result = await detectAffected(catalog, gitChangeProbe(repo), "HEAD~1");
    expect(names(result)).toEqual(["email", "gateway"]);
  });

  it("selects everything with a one-line warning in a shallow clone", async () => {
    const origin = await fixtureRepo();
    await commitFiles(origin, { "services/gateway/src/index.ts": "export {};\n" });
    const clone = await tempDir("pipeline-shallow-");
    await git(clone, "clone", "--quiet", "--depth", "1", `file://${origin}`, ".");
    const catalog = await discoverServices(fsRepoReader(clone));
    const result = await detectAffected(catalog, gitChangeProbe(clone), "HEAD~1");
    expect(result.scope).toBe("all");
    expect(names(result)).toEqual(["auth", "db", "email", "gateway"]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^warning: shallow clone/);
    expect(result.warnings[0]).not.toContain("\n");
  });

  it("selects everything with a warning when the base shares no history with HEAD", async () => {
    const repo = await fixtureRepo();
    await git(repo, "checkout", "--quiet", "--orphan", "unrelated");
    await commitFiles(repo, { "other.txt": "unrelated history\n" });
    await git(repo, "checkout", "--quiet", "main");
    const catalog = await discoverServices(fsRepoReader(repo));
    const result = await detectAffected(catalog, gitChangeProbe(repo), "unrelated");
    expect(result.scope).toBe("all");
    expect(result.warnings[0]).toMatch(/no common ancestor/);
  });

  it("fails on a base ref that does not exist in a full clone", async () => {
    const repo = await fixtureRepo();
    const catalog = await discoverServices(fsRepoReader(repo));
    await expect(detectAffected(catalog, gitChangeProbe(repo), "no-such-branch")).rejects.toThrow(
      MissingBaseRefError,
    );
  });
});

import { ensureLocalCloud, localCloudStatus, stopLocalCloud } from "@workers/local-cloud";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOrigin } from "#core";
import { commitAll, pushFourCommitsTouchingEmail } from "../../helpers/git-history.js";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

let repo: TempRepo;
const git = (...args: string[]) => execa("git", args, { cwd: repo.root });
const serving = async () =>
  Object.fromEntries(
    (await localCloudStatus(repo.root)).workers.map((worker) => [
      worker.name,
      worker.activeVersionId,
    ]),
  );

beforeAll(async () => {
  repo = await copyRepo();
  await git("init", "-q");
  // The local control plane's state must not count as a change to the repository.
  await repo.add(".gitignore", ".local-cloud\n");
  await commitAll(repo, "deployed");
});

afterAll(async () => {
  if (repo) await stopLocalCloud(repo.root);
  await repo?.dispose();
});

describe("pipeline deploy --base deployed, against the local control plane", () => {
  it("after a four-commit push that touched email, deploys exactly email and what binds to it", async () => {
    const deployedCommit = (await git("rev-parse", "HEAD")).stdout.trim();
    const first = await repo.cli(["deploy", "--service", "all", "--env", "local"]);
    expect(first.stderr.split("\n").at(-1)).not.toMatch(/error/i);
    expect(first.exitCode).toBe(0);
    // Every upload carries the commit it was built from.
    const versions = await execa(
      process.execPath,
      [`${repo.root}/node_modules/wrangler/bin/wrangler.js`, "versions", "list", "--json"],
      {
        cwd: `${repo.root}/services/email`,
        reject: false,
        env: (await ensureLocalCloud(repo.root)).wranglerEnv,
      },
    );
    const listed = JSON.parse(versions.stdout.slice(versions.stdout.indexOf("["))) as {
      annotations?: Record<string, string>;
    }[];
    expect(parseOrigin(listed.at(-1)?.annotations?.["workers/message"])?.commit).toBe(
      deployedCommit,
    );
    const before = await serving();

    await pushFourCommitsTouchingEmail(repo);

    const plan = await repo.cli(["deploy", "--base", "deployed", "--env", "local", "--dry-run"]);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toMatch(/changed since the commit each service serves/);
    const planned = [...plan.stdout.matchAll(/→ (\S+)/g)].map((match) => match[1]).sort();
    expect(planned).toEqual(["email", "gateway", "mcp", "queue", "schedule", "webhooks"]);
    expect(plan.stderr).toMatch(/^email: since [0-9a-f]{12}: changed: services\/email\//m);

    const deployed = await repo.cli(["deploy", "--base", "deployed", "--env", "local"]);
    expect(deployed.exitCode).toBe(0);
    const after = await serving();
    for (const unchanged of ["db", "auth"]) {
      expect({ unchanged, version: after[unchanged] }).toEqual({
        unchanged,
        version: before[unchanged],
      });
    }
    for (const changed of planned) {
      expect(after[changed as string]).not.toBe(before[changed as string]);
    }
    const again = await repo.cli(["deploy", "--base", "deployed", "--env", "local", "--dry-run"]);
    expect(again.stdout).toContain("nothing to deploy");
    // Two real deploys (8 services, then 6): on 2 busy cores they took up to 214 s, past the
    // suite's 120 s default, which is a hang guard, not a speed check.
  }, 400_000);
});

import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

let repo: TempRepo;

beforeAll(async () => {
  repo = await copyRepo();
  const git = (...args: string[]) => execa("git", args, { cwd: repo.root });
  await git("init", "-q");
  await git("add", "-A");
  await git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "base");
});

afterEach(async () => {
  await repo.restore();
});

afterAll(async () => {
  await repo?.dispose();
});

describe("pipeline deploy --base", () => {
  it("plans the changed service and what binds to it, in wave order", async () => {
    await repo.patch("services/auth/src/index.ts", (text) => `${text}\n// a change\n`);
    const result = await repo.cli(["deploy", "--base", "HEAD", "--env", "local", "--dry-run"]);
    expect(result.exitCode).toBe(0);
    // Smoke-test counts belong to the services; the plan's shape is what is checked here.
    expect(result.stdout.replace(/\(\d+ smoke tests?\)/g, "(n)")).toBe(
      [
        "deploy plan for @local (affected since HEAD), dry run: nothing changes",
        "  immediate: each service's new version takes all traffic at once",
        "  wave 1: auth → auth (n)",
        "  wave 2: gateway → gateway (n)",
      ].join("\n"),
    );
  });

  it("says so when nothing is affected", async () => {
    const result = await repo.cli(["deploy", "--base", "HEAD", "--env", "production", "--dry-run"]);
    expect(result).toMatchObject({
      exitCode: 0,
      stdout: "no services affected (affected since HEAD): nothing to deploy",
    });
  });
});

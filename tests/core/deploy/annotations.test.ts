import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import {
  checkoutOrigin,
  originArgs,
  originMessage,
  parseOrigin,
  parseRunPlace,
  wranglerArgs,
} from "#core";
import { repoCommand } from "../../../pipeline/host/git-change-probe.js";

const origin = { commit: "0123456789abcdef0123456789abcdef01234567", run: "12345-1" };

describe("version origin annotations", () => {
  it("round-trips through workers/message", () => {
    expect(parseOrigin(originMessage(origin))).toEqual(origin);
  });

  it("annotates an upload with --message and a short --tag", () => {
    expect(originArgs(origin)).toEqual([
      "--message",
      `commit ${origin.commit} run 12345-1`,
      "--tag",
      "0123456789ab",
    ]);
  });

  it("carries the run and its wave, with or without a commit, and the origin still reads", () => {
    const place = { run: "12345-1", wave: 2, waves: 4 };
    const [, message] = originArgs(origin, place);
    expect(message).toBe(`commit ${origin.commit} run 12345-1 wave 2/4`);
    expect(parseOrigin(message)).toEqual(origin);
    expect(parseRunPlace(message)).toEqual(place);
    expect(originArgs(undefined, place)).toEqual(["--message", "run 12345-1 wave 2/4"]);
    expect(parseRunPlace("run 12345-1 wave 2/4")).toEqual(place);
    expect(originArgs(undefined)).toEqual([]);
    expect(parseRunPlace(originMessage(origin))).toBeUndefined();
  });

  it("reads nothing from messages it did not write", () => {
    expect(parseOrigin(undefined)).toBeUndefined();
    expect(parseOrigin("Rollback to 1234")).toBeUndefined();
    expect(parseOrigin("commit abc run 1")).toBeUndefined();
  });
});

describe("checkoutOrigin, on a real git repository", () => {
  it("is HEAD when the tracked files are HEAD's, and nothing with uncommitted changes or no git", async () => {
    const root = await mkdtemp(join(tmpdir(), "origin-"));
    try {
      const run = repoCommand(root);
      expect(await checkoutOrigin(run, "run-1")).toBeUndefined();
      const git = (...args: string[]) => execa("git", args, { cwd: root });
      await git("init", "-q");
      await writeFile(join(root, "a.txt"), "a\n");
      await git("add", "a.txt");
      await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
      const head = (await git("rev-parse", "HEAD")).stdout.trim();
      expect(await checkoutOrigin(run, "run-1")).toEqual({ commit: head, run: "run-1" });
      // Untracked files are not part of any upload's origin question; tracked edits are.
      await writeFile(join(root, "new.txt"), "untracked\n");
      expect(await checkoutOrigin(run, "run-1")).toEqual({ commit: head, run: "run-1" });
      await writeFile(join(root, "a.txt"), "edited\n");
      expect(await checkoutOrigin(run, "run-1")).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("annotates wrangler deploy with the origin when there is one", () => {
    expect(wranglerArgs.deploy("production", undefined, origin)).toEqual([
      "deploy",
      "--message",
      `commit ${origin.commit} run 12345-1`,
      "--tag",
      "0123456789ab",
      "--env",
      "production",
    ]);
    expect(wranglerArgs.deploy("production")).toEqual(["deploy", "--env", "production"]);
  });
});

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CommandResult, commandChangeProbe } from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { tempDir } from "../helpers/fixture-repo.js";

/** A probe whose commands answer from a table (argv joined by spaces), failing anything else. */
function scripted(answers: Record<string, Partial<CommandResult>>) {
  return commandChangeProbe(async (argv) => ({
    exitCode: 0,
    stdout: "",
    stderr: "",
    ...(answers[argv.join(" ")] ?? { exitCode: 128, stderr: `unexpected: ${argv.join(" ")}` }),
  }));
}

describe("the change probe", () => {
  it("fails naming the command, its exit code and its error when git cannot answer", async () => {
    const probe = scripted({
      "git rev-parse --is-shallow-repository": { exitCode: 128, stderr: "not a git repository\n" },
    });
    await expect(probe.isShallow()).rejects.toThrow(
      "git rev-parse --is-shallow-repository failed (exit code 128): not a git repository",
    );
  });

  it("refuses to list changes without a merge base", async () => {
    const probe = scripted({ "git merge-base main HEAD": { exitCode: 1 } });
    await expect(probe.changedFiles("main")).rejects.toThrow("no merge base between main and HEAD");
  });

  it("reads an empty answer from pnpm list as no package, and skips nameless packages", async () => {
    const list =
      "pnpm list -r --depth -1 --json --filter ...[main] --changed-files-ignore-pattern **/*.md";
    expect(await scripted({ [list]: { stdout: "" } }).pnpmChangedPackages("main")).toEqual([]);
    expect(
      await scripted({
        [list]: {
          stdout: JSON.stringify([{ path: "/repo" }, { name: "@workers/db", path: "/db" }]),
        },
      }).pnpmChangedPackages("main"),
    ).toEqual(["@workers/db"]);
  });

  it("reads pnpm's list after the progress line it prints while installing config dependencies", async () => {
    const list =
      "pnpm list -r --depth -1 --json --filter ...[main] --changed-files-ignore-pattern **/*.md";
    const stdout = `Installing config dependencies...\n${JSON.stringify([{ name: "api", path: "/api" }])}`;
    expect(await scripted({ [list]: { stdout } }).pnpmChangedPackages("main")).toEqual(["api"]);
  });
});

describe("the host's repository reader", () => {
  it("answers nothing for a missing file or folder, and lists only folders", async () => {
    const root = await tempDir();
    await mkdir(join(root, "services/db"), { recursive: true });
    await writeFile(join(root, "services/readme.txt"), "");
    const reader = fsRepoReader(root);
    expect(await reader.readText("services/db/package.json")).toBeUndefined();
    expect(await reader.readText("services/readme.txt/inner")).toBeUndefined();
    expect(await reader.listDirectories("nowhere")).toEqual([]);
    expect(await reader.listDirectories("services")).toEqual(["db"]);
  });

  it("passes on an error that is not a missing path", async () => {
    const root = await tempDir();
    await mkdir(join(root, "dir"));
    await expect(fsRepoReader(root).readText("dir")).rejects.toThrow(/EISDIR/);
  });
});

import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  backupOf,
  CorruptStateFileError,
  createJsonFileExclusive,
  inspectJsonFile,
  readJsonFile,
  writeJsonFile,
} from "../src/json-state-file.js";
import { CORRUPTIONS } from "../testing/corruptions.js";

const schema = z.object({ name: z.string(), count: z.number().int() });
const REMEDY = "restore it from state.json.bak";

const created: string[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp directory, removed after the current test. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "host-state-test-"));
  created.push(dir);
  return dir;
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe("writeJsonFile", () => {
  it("replaces the file whole and keeps the version it replaced as .bak", async () => {
    const dir = await tempDir();
    const file = join(dir, "state.json");
    await writeJsonFile(file, { name: "first", count: 1 }, schema);
    expect(await entries(dir)).toEqual(["state.json"]);
    await writeJsonFile(file, { name: "second", count: 2 }, schema);
    expect(await readJsonFile(file, schema, REMEDY)).toEqual({ name: "second", count: 2 });
    expect(await readJsonFile(backupOf(file), schema, REMEDY)).toEqual({ name: "first", count: 1 });
    // No temporary file is left behind.
    expect(await entries(dir)).toEqual(["state.json", "state.json.bak"]);
  });

  it("never lets a corrupt file replace the last good backup", async () => {
    const dir = await tempDir();
    const file = join(dir, "state.json");
    await writeJsonFile(file, { name: "good", count: 1 }, schema);
    await writeJsonFile(file, { name: "newer", count: 2 }, schema);
    await writeFile(file, '{"name": "newer", "cou');
    await writeJsonFile(file, { name: "newest", count: 3 }, schema);
    expect(await readJsonFile(file, schema, REMEDY)).toEqual({ name: "newest", count: 3 });
    expect(await readJsonFile(backupOf(file), schema, REMEDY)).toEqual({ name: "good", count: 1 });
  });

  it("creates the file with the requested mode", async () => {
    const dir = await tempDir();
    const file = join(dir, "nested", "secret.json");
    await writeJsonFile(file, { name: "s", count: 0 }, schema, { mode: 0o600 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("leaves an old or a new version, never a torn one, when the writer is killed mid-write", async () => {
    const dir = await tempDir();
    const file = join(dir, "state.json");
    const rewritten = z.object({ generation: z.number(), padding: z.string() });
    const script = join(import.meta.dirname, "rewrite-state-forever.ts");
    const generations: number[] = [];
    for (let round = 0; round < 6; round++) {
      const child = spawn(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), script, file],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // Once its first write is done, let it write on a little, then kill it without warning.
      await new Promise((resolve) => child.stdout?.once("data", resolve));
      await sleep(20 + round * 37);
      child.kill("SIGKILL");
      await exited;
      const state = await readJsonFile(file, rewritten, REMEDY);
      expect(state?.padding).toHaveLength(512 * 1024);
      generations.push(state?.generation ?? -1);
    }
    // Each round restarted at generation 0 and got some writes done before the kill.
    expect(generations.every((generation) => generation >= 0)).toBe(true);
    expect((await entries(dir)).filter((name) => !name.endsWith(".tmp"))).toEqual([
      "state.json",
      "state.json.bak",
    ]);
  }, 60_000);
});

describe("readJsonFile", () => {
  it("returns undefined for a file that does not exist", async () => {
    expect(await readJsonFile(join(await tempDir(), "none.json"), schema, REMEDY)).toBeUndefined();
  });

  it.each(CORRUPTIONS)(
    "names a %s file, what is wrong and what to do, in one line, and leaves it as it is",
    async (_, damage, detail) => {
      const dir = await tempDir();
      const file = join(dir, "state.json");
      await writeJsonFile(file, { name: "good", count: 1 }, schema);
      const damaged = damage(await readFile(file, "utf8"));
      await writeFile(file, damaged);
      const error = await readJsonFile(file, schema, REMEDY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptStateFileError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message.startsWith(`${file} is corrupt (`)).toBe(true);
      expect(message).toMatch(detail);
      expect(message.endsWith(`): ${REMEDY}`)).toBe(true);
      expect(await readFile(file, "utf8")).toBe(damaged);
    },
  );
});

describe("createJsonFileExclusive", () => {
  it("creates the file once; later attempts leave it untouched", async () => {
    const dir = await tempDir();
    const file = join(dir, "deploy.lock");
    expect(await createJsonFileExclusive(file, { name: "first", count: 1 })).toBe(true);
    expect(await createJsonFileExclusive(file, { name: "second", count: 2 })).toBe(false);
    expect(await readJsonFile(file, schema, REMEDY)).toEqual({ name: "first", count: 1 });
    expect(await entries(dir)).toEqual(["deploy.lock"]);
  });

  it("lets exactly one of many simultaneous creators win, with its content complete", async () => {
    const file = join(await tempDir(), "deploy.lock");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, count) =>
        createJsonFileExclusive(file, { name: "contender", count }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await readJsonFile(file, schema, REMEDY)).toEqual({ name: "contender", count: winner });
  });
});

describe("state files on a file system that refuses", () => {
  it("reading a directory where the file should be throws the system's error, not a corrupt-file one", async () => {
    const dir = await tempDir();
    await expect(inspectJsonFile(dir, schema)).rejects.toMatchObject({ code: "EISDIR" });
  });

  it("two exclusive creations of one file: the second is refused without touching the first", async () => {
    const file = join(await tempDir(), "lock.json");
    expect(await createJsonFileExclusive(file, { name: "first", count: 1 })).toBe(true);
    expect(await createJsonFileExclusive(file, { name: "second", count: 2 })).toBe(false);
    expect(await readJsonFile(file, schema, REMEDY)).toEqual({ name: "first", count: 1 });
  });

  it("an exclusive creation under a file (not a directory) throws the system's error", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "plain"), "x");
    await expect(createJsonFileExclusive(join(dir, "plain", "lock.json"), {})).rejects.toThrow(
      /EEXIST|ENOTDIR/,
    );
  });

  it("a schema error names the field and how many more there are", async () => {
    const file = join(await tempDir(), "state.json");
    await writeFile(file, JSON.stringify({ name: 1, count: "x" }));
    expect(await inspectJsonFile(file, schema)).toEqual({
      state: "corrupt",
      detail: expect.stringMatching(/^name: Invalid input: .* \(and 1 more\)$/),
    });
  });

  it("a file written with a mode gets it, so secrets stay readable by their owner only", async () => {
    const file = join(await tempDir(), "secret.json");
    await writeJsonFile(file, { name: "a", count: 1 }, schema, { mode: 0o600 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("a value of the wrong kind altogether is named as the root", async () => {
    const file = join(await tempDir(), "state.json");
    await writeFile(file, "[1, 2]");
    expect(await inspectJsonFile(file, schema)).toEqual({
      state: "corrupt",
      detail: expect.stringMatching(/^\(root\): Invalid input: expected object/),
    });
  });
});

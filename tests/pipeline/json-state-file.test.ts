import { spawn } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  backupOf,
  CorruptStateFileError,
  createJsonFileExclusive,
  readJsonFile,
  writeJsonFile,
} from "../../pipeline/host/json-state-file.js";
import { CORRUPTIONS } from "./helpers/corruptions.js";
import { tempDir } from "./helpers/fixture-repo.js";

const schema = z.object({ name: z.string(), count: z.number().int() });
const REMEDY = "restore it from state.json.bak";

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
    const script = join(import.meta.dirname, "helpers/rewrite-state-forever.ts");
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

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { claimSandboxPlace, type SandboxPlace } from "../../../pipeline/host/sandbox-place.js";

const MODULE = fileURLToPath(new URL("../../../pipeline/host/sandbox-place.ts", import.meta.url));

/** A checkout path of its own, so that no other test (or run) holds its places. */
async function checkout(): Promise<string> {
  return mkdtemp(join(tmpdir(), "sandbox-place-test-"));
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** What a sandbox does when its step is done: removes its folder, then lets the place go. */
async function giveBack(place: SandboxPlace): Promise<void> {
  await rm(place.dir, { recursive: true, force: true });
  await place.release();
}

describe.runIf(process.platform === "linux")("a step's sandbox place", () => {
  it("is the same folder for the same step on each run, another for another step", async () => {
    const repo = await checkout();
    const first = await claimSandboxPlace(repo, "test:gateway");
    await giveBack(first);
    const second = await claimSandboxPlace(repo, "test:gateway");
    const other = await claimSandboxPlace(repo, "test:auth");
    const elsewhere = await claimSandboxPlace(await checkout(), "test:gateway");

    expect(second.dir).toBe(first.dir);
    expect(other.dir).not.toBe(first.dir);
    expect(elsewhere.dir).not.toBe(first.dir);
    for (const place of [second, other, elsewhere]) await giveBack(place);
  });

  it("is never shared: a second claim while the first holds it gets a fresh folder", async () => {
    const repo = await checkout();
    const held = await claimSandboxPlace(repo, "lint:auth");
    const meanwhile = await claimSandboxPlace(repo, "lint:auth");

    expect(meanwhile.dir).not.toBe(held.dir);
    expect(await exists(meanwhile.dir)).toBe(true);
    await giveBack(held);
    await giveBack(meanwhile);
  });

  it("after a run that was killed in it, is given up once and cleared for the next run", async () => {
    const repo = await checkout();
    const first = await claimSandboxPlace(repo, "test:db");
    await giveBack(first);
    // What a killed run leaves: its folder, with the step's files, and no one holding it.
    await mkdir(join(first.dir, "services/db"), { recursive: true });
    await writeFile(join(first.dir, "services/db/left.txt"), "from the dead run");

    const after = await claimSandboxPlace(repo, "test:db");
    expect(after.dir).not.toBe(first.dir);
    expect(await exists(first.dir)).toBe(false);
    await giveBack(after);
    const next = await claimSandboxPlace(repo, "test:db");
    expect(next.dir).toBe(first.dir);
    await giveBack(next);
  });

  it("is free again once the process holding it is killed with SIGKILL", async () => {
    const repo = await checkout();
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "--eval",
        `const { claimSandboxPlace } = await import(${JSON.stringify(MODULE)});
         const place = await claimSandboxPlace(${JSON.stringify(repo)}, "test:mcp");
         console.log(place.dir);
         setInterval(() => {}, 60_000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const [line] = (await once(createInterface({ input: holder.stdout }), "line")) as [string];
    const meanwhile = await claimSandboxPlace(repo, "test:mcp");
    expect(meanwhile.dir).not.toBe(line);
    await giveBack(meanwhile);

    holder.kill("SIGKILL");
    await once(holder, "exit");
    // The killed holder's folder is a leftover: the first claim clears it, the next has it.
    await giveBack(await claimSandboxPlace(repo, "test:mcp"));
    const next = await claimSandboxPlace(repo, "test:mcp");
    expect(next.dir).toBe(line);
    await giveBack(next);
  });
});

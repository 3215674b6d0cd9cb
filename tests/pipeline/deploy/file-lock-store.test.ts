import { readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessRunning, processStartTime } from "@workers/host-state";
import { CORRUPTIONS } from "@workers/host-state/testing";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { DeployLockedError, LOCAL_TARGET, withDeployLock } from "#core";
import {
  currentHolder,
  fileLockStore,
  LOCK_DIR,
} from "../../../pipeline/deploy/file-lock-store.js";
import { tempDir } from "../../helpers/fixture-repo.js";

const lockFile = (repo: string) => join(repo, LOCK_DIR, "deploy-@local.lock");

/** Runs a deploy-shaped piece of work under the local lock; reports what happened. */
async function deployUnderLock(repo: string) {
  const notices: string[] = [];
  let ran = false;
  const outcome = await withDeployLock(
    fileLockStore(repo),
    LOCAL_TARGET,
    { ...currentHolder(new Date()), holder: "this run" },
    Date.now(),
    (line) => notices.push(line),
    async () => {
      ran = true;
      return "deployed";
    },
  ).catch((error: unknown) => error);
  return { outcome, ran, notices };
}

/** A pid that was just used and is free now. */
async function deadPid(): Promise<number> {
  const finished = execa("true");
  await finished;
  return finished.pid ?? 0;
}

describe.runIf(process.platform === "linux")("process start times", () => {
  it("reads /proc/<pid>/stat field 22, together with the boot id", () => {
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${process.pid}/stat`, "utf8");
    const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    expect(processStartTime(process.pid)).toBe(`${bootId}/${ticks}`);
  });

  it("tells a process apart from a later one given the same pid", async () => {
    const child = execa("sleep", ["30"]);
    try {
      const pid = child.pid ?? 0;
      const started = processStartTime(pid);
      expect(started).toBeDefined();
      expect(started).not.toBe(processStartTime(process.pid));
      expect(isProcessRunning(pid, started)).toBe(true);
      // What a lock left by an earlier holder of this pid records.
      expect(isProcessRunning(pid, `${started}0`)).toBe(false);
    } finally {
      child.kill();
      await child.catch(() => undefined);
    }
  });
});

describe("process liveness", () => {
  it("is false for a pid nobody holds, whatever the start time", async () => {
    const pid = await deadPid();
    expect(isProcessRunning(pid, undefined)).toBe(false);
    expect(isProcessRunning(0, undefined)).toBe(false);
  });

  it("goes by the pid alone for a lock that recorded no start time", () => {
    expect(isProcessRunning(process.pid, undefined)).toBe(true);
  });
});

describe("the deploy lock file", () => {
  it("records the holder's pid, start time and host, and is removed after the work", async () => {
    const repo = await tempDir();
    const store = fileLockStore(repo);
    const holder = currentHolder(new Date());
    expect(await store.tryCreate(LOCAL_TARGET, holder)).toBeUndefined();
    const recorded = JSON.parse(await readFile(lockFile(repo), "utf8"));
    expect(recorded).toEqual(holder);
    if (process.platform === "linux") expect(recorded.startTime).toMatch(/^[0-9a-f-]{36}\/\d+$/);
    expect(await store.tryCreate(LOCAL_TARGET, { ...holder, holder: "second" })).toEqual(holder);
    await store.remove(LOCAL_TARGET, holder);
    expect(await readdir(join(repo, LOCK_DIR))).toEqual([]);
  });

  it("refuses a deploy while its live holder runs", async () => {
    const repo = await tempDir();
    const holder = { ...currentHolder(new Date()), holder: "alice@laptop" };
    await fileLockStore(repo).tryCreate(LOCAL_TARGET, holder);
    const { outcome, ran } = await deployUnderLock(repo);
    expect(outcome).toBeInstanceOf(DeployLockedError);
    expect((outcome as Error).message).toContain("alice@laptop holds the lock since");
    expect(ran).toBe(false);
  });

  it.runIf(process.platform === "linux")(
    "replaces a lock whose pid is alive but belongs to a process started later (pid reuse)",
    async () => {
      const repo = await tempDir();
      // This very process holds the pid now, but the lock says another process had it.
      const stale = {
        ...currentHolder(new Date()),
        holder: "crashed run",
        startTime: `${processStartTime(process.pid)}0`,
      };
      await fileLockStore(repo).tryCreate(LOCAL_TARGET, stale);
      const { outcome, ran, notices } = await deployUnderLock(repo);
      expect(outcome).toBe("deployed");
      expect(ran).toBe(true);
      expect(notices).toEqual([
        `removing stale @local deploy lock of crashed run (pid ${process.pid} on ${stale.hostname}, since ${stale.since})`,
      ]);
    },
  );

  it("replaces a lock whose process is gone", async () => {
    const repo = await tempDir();
    const stale = { ...currentHolder(new Date()), holder: "crashed run", pid: await deadPid() };
    await fileLockStore(repo).tryCreate(LOCAL_TARGET, stale);
    const { outcome, notices } = await deployUnderLock(repo);
    expect(outcome).toBe("deployed");
    expect(notices[0]).toContain("removing stale @local deploy lock of crashed run");
  });

  it.each(CORRUPTIONS)(
    "refuses a %s lock with one line naming it and what to do, and keeps it",
    async (_, damage, detail) => {
      const repo = await tempDir();
      await fileLockStore(repo).tryCreate(LOCAL_TARGET, currentHolder(new Date()));
      const damaged = damage(await readFile(lockFile(repo), "utf8"));
      await writeFile(lockFile(repo), damaged);
      const { outcome, ran } = await deployUnderLock(repo);
      const message = (outcome as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toMatch(detail);
      expect(message.startsWith(`${lockFile(repo)} is corrupt (`)).toBe(true);
      expect(
        message.endsWith("): if no deploy to @local is running, remove it and deploy again"),
      ).toBe(true);
      expect(ran).toBe(false);
      expect(await readFile(lockFile(repo), "utf8")).toBe(damaged);
    },
  );

  it("leaves a lock damaged while held in place for the next deploy to name", async () => {
    const repo = await tempDir();
    const store = fileLockStore(repo);
    const holder = currentHolder(new Date());
    await store.tryCreate(LOCAL_TARGET, holder);
    await writeFile(lockFile(repo), "{");
    await store.remove(LOCAL_TARGET, holder);
    expect(await readFile(lockFile(repo), "utf8")).toBe("{");
  });
});

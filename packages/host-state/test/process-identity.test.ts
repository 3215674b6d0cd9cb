import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isProcessRunning, processStartTime } from "../src/process-identity.js";

describe("processStartTime", () => {
  it("is stable for one process and differs between processes", () => {
    const own = processStartTime(process.pid);
    expect(own).toMatch(/^[0-9a-f-]+\/\d+$/);
    expect(processStartTime(process.pid)).toBe(own);
    expect(processStartTime(process.ppid)).not.toBe(own);
  });

  it("is undefined for a pid no process has", () => {
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });
});

describe("isProcessRunning", () => {
  it("is true for this process, with or without its start time", () => {
    expect(isProcessRunning(process.pid, undefined)).toBe(true);
    expect(isProcessRunning(process.pid, processStartTime(process.pid))).toBe(true);
  });

  it("is false for a pid reused by another process: the start time differs", () => {
    expect(isProcessRunning(process.pid, "another-boot/1")).toBe(false);
  });

  it("is false for a process that has exited, and for pids that name none", async () => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const pid = child.pid ?? -1;
    const startTime = processStartTime(pid);
    await once(child, "exit");
    expect(isProcessRunning(pid, startTime)).toBe(false);
    expect(isProcessRunning(0, undefined)).toBe(false);
    expect(isProcessRunning(-1, undefined)).toBe(false);
  });

  it("is true for a process of another user (EPERM), which exists", () => {
    // pid 1 belongs to root; a non-root test run gets EPERM from kill(1, 0), root gets through.
    expect(isProcessRunning(1, undefined)).toBe(true);
  });

  it("is false for a zombie: a process that exited and whose parent has not collected it", async () => {
    // The shell starts a child that waits for a byte on fd 3, prints its pid and becomes a
    // `sleep`, which never collects it. The byte is sent only once the shell is that `sleep`:
    // a shell still itself could collect the child first.
    const parent = spawn("sh", ["-c", "head -c 1 <&3 >/dev/null & echo $!; exec sleep 60"], {
      stdio: ["ignore", "pipe", "ignore", "pipe"],
    });
    try {
      const [line] = (await once(parent.stdout as Readable, "data")) as [Buffer];
      const pid = Number(line.toString().trim());
      const startTime = processStartTime(pid);
      expect(isProcessRunning(pid, startTime)).toBe(true);
      const command = () => readFileSync(`/proc/${parent.pid}/comm`, "utf8").trim();
      while (command() !== "sleep") await sleep(10);
      (parent.stdio[3] as Writable).write("x");
      // It becomes a zombie once it exits, which the kernel tells only through its state.
      const state = () => /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1];
      while (state() !== "Z") await sleep(10);
      expect(processStartTime(pid)).toBe(startTime);
      expect(isProcessRunning(pid, startTime)).toBe(false);
      expect(isProcessRunning(pid, undefined)).toBe(false);
    } finally {
      parent.kill();
    }
  });
});

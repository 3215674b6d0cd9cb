import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CallResult,
  commitAll,
  digests,
  engineCall,
  repoCopy,
} from "../../scripts/engine/engine-run.js";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function copy(): Promise<string> {
  const repo = await repoCopy();
  cleanup = repo.remove;
  return repo.root;
}

function passed(result: CallResult): void {
  expect(result.stderr.split("\n").filter((line) => line.startsWith("Error"))).toEqual([]);
  expect(result.exitCode).toBe(0);
}

const testSteps = (result: CallResult) =>
  result.steps.filter((step) => step.id.startsWith("test:")).map((step) => step.id);

// Vitest prints its start time and durations, so a test step that really ran again prints
// something new; a step answered from the cache repeats the earlier output exactly.
describe("ci on a real engine", () => {
  it("passes and prints the summary table", async () => {
    const root = await copy();
    const result = await engineCall(root, ["ci"]);
    passed(result);
    expect(result.stdout).toMatch(/^step +status +duration$/m);
    expect(result.stdout).toMatch(/steps: \d+ passed, 0 failed/);
    expect(testSteps(result)).toEqual(expect.arrayContaining(["test:gateway", "test:db"]));
    expect(result.steps.every((step) => step.status === "passed")).toBe(true);
  });

  it("answers a second run with no change from the cache", async () => {
    const root = await copy();
    const first = await engineCall(root, ["ci"]);
    passed(first);
    const second = await engineCall(root, ["ci"]);
    passed(second);
    expect(digests(second)).toEqual(digests(first));
  });

  it("reruns no step after a docs-only edit", async () => {
    const root = await copy();
    const before = await engineCall(root, ["ci"]);
    passed(before);
    await appendFile(join(root, "README.md"), "\nA docs-only edit.\n");
    await writeFile(join(root, "docs", "engine-test.md"), "# new page\n");
    await commitAll(root, "docs only");
    const after = await engineCall(root, ["ci"]);
    passed(after);
    expect(digests(after)).toEqual(digests(before));
  });

  it("reruns the edited leaf service's tests and keeps the others cached", async () => {
    const root = await copy();
    const before = await engineCall(root, ["ci"]);
    passed(before);
    const file = join(root, "services", "gateway", "src", "index.ts");
    await writeFile(file, `${await readFile(file, "utf8")}\n// a leaf edit\n`);
    await commitAll(root, "leaf edit");
    const after = await engineCall(root, ["ci"]);
    passed(after);
    const [was, now] = [digests(before), digests(after)];
    expect(now["test:gateway"]).not.toEqual(was["test:gateway"]);
    for (const id of testSteps(after).filter(
      (id) => id !== "test:gateway" && id !== "test:tooling",
    )) {
      expect({ id, digest: now[id] }).toEqual({ id, digest: was[id] });
    }
    expect(now.install).toEqual(was.install);
  });

  it("with --base, runs only what the change affects", async () => {
    const root = await copy();
    const file = join(root, "services", "gateway", "src", "index.ts");
    await writeFile(file, `${await readFile(file, "utf8")}\n// a leaf edit for --base\n`);
    await commitAll(root, "leaf edit");
    const result = await engineCall(root, ["ci", "--base", "HEAD~1"]);
    passed(result);
    expect(result.stdout).toContain("gateway");
    expect(testSteps(result)).toEqual(["test:gateway"]);
  });
});

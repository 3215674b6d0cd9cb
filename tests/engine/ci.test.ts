import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CallResult,
  commitAll,
  daggerCall,
  repoCopy,
  summarySteps,
} from "./helpers/dagger-cli.js";

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
  summarySteps(result.stdout)
    .filter((step) => step.id.startsWith("test:"))
    .map((step) => step.id);

describe("ci on a real engine", () => {
  it("passes and prints the summary table", async () => {
    const root = await copy();
    const result = await daggerCall(root, ["ci"]);
    passed(result);
    expect(result.stdout).toMatch(/^step +status +duration$/m);
    expect(result.stdout).toMatch(/steps: \d+ passed, 0 failed/);
    expect(testSteps(result)).toEqual(expect.arrayContaining(["test:gateway", "test:db"]));
    expect(summarySteps(result.stdout).every((step) => step.status === "passed")).toBe(true);
  });

  it("with --base, runs only what the change affects", async () => {
    const root = await copy();
    const file = join(root, "services", "gateway", "src", "index.ts");
    await writeFile(file, `${await readFile(file, "utf8")}\n// a leaf edit for --base\n`);
    await commitAll(root, "leaf edit");
    const result = await daggerCall(root, ["ci", "--base", "HEAD~1"]);
    passed(result);
    expect(result.stdout).toContain("gateway");
    expect(testSteps(result)).toEqual(["test:gateway"]);
  });
});

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitAll, daggerCall, repoCopy, summarySteps } from "./helpers/dagger-cli.js";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A gateway unit test that fails printing a value it picks at run time. */
const failingTest = `import { expect, it } from "vitest";

it("fails on purpose for the engine suite", () => {
  expect(\`engine-nonce-\${crypto.randomUUID()}\`).toBe("engine-nonce-expected");
});
`;

const nonces = (text: string) => [...text.matchAll(/engine-nonce-[0-9a-f-]{36}/g)].map((m) => m[0]);

describe("a failing step on a real engine", () => {
  it("fails ci naming the step and its log tail, is rerun rather than replayed, and passes once fixed", async () => {
    const repo = await repoCopy();
    cleanup = repo.remove;
    const testFile = join(repo.root, "services", "gateway", "test", "engine-failure.test.ts");
    await writeFile(testFile, failingTest);
    await commitAll(repo.root, "a failing gateway test");

    const first = await daggerCall(repo.root, ["ci", "--base", "HEAD~1"]);
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toMatch(/^Error: /m);
    expect(first.stderr).toContain("==== FAILED: test:gateway (exit code 1) ====");
    expect(first.stderr).toContain("fails on purpose for the engine suite");
    const [firstNonce] = nonces(first.stderr);
    expect(firstNonce).toBeDefined();

    // The same inputs again: a cached failure would repeat the first run's output.
    const second = await daggerCall(repo.root, ["ci", "--base", "HEAD~1"]);
    expect(second.exitCode).toBe(1);
    const [secondNonce] = nonces(second.stderr);
    expect(secondNonce).toBeDefined();
    expect(secondNonce).not.toBe(firstNonce);

    await writeFile(
      testFile,
      failingTest.replace('.toBe("engine-nonce-expected")', ".toMatch(/^engine-nonce-/)"),
    );
    await commitAll(repo.root, "fix it");
    const fixed = await daggerCall(repo.root, ["ci", "--base", "HEAD~2"]);
    expect(fixed.stderr).not.toMatch(/^Error: /m);
    expect(fixed.exitCode).toBe(0);
    expect(summarySteps(fixed.stdout)).toContainEqual({ id: "test:gateway", status: "passed" });
  });

  it("runs each check, and a broken one fails", async () => {
    const repo = await repoCopy();
    cleanup = repo.remove;
    for (const check of ["typecheck", "lint", "tooling", "integration", "coverage", "test"]) {
      // `sync` evaluates the container a check returns, as `dagger check` does.
      const result = await daggerCall(repo.root, [check, "sync"]);
      expect({ check, exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        check,
        exitCode: 0,
        stderr: expect.not.stringMatching(/^Error: /m),
      });
    }
    await writeFile(
      join(repo.root, "services", "db", "src", "engine-lint.ts"),
      "export function unused(a: any) { var b = a; return b }\n",
    );
    const broken = await daggerCall(repo.root, ["lint", "sync"]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toContain("engine-lint.ts");
  });
});

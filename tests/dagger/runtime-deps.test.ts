import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { moduleDir, moduleSourceFiles } from "./helpers/module-variant.js";
import { repoRoot } from "./helpers/repo-steps.js";
import {
  dependencyProblems,
  importProblems,
  type SourceFile,
} from "./helpers/runtime-deps-rules.js";

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8"));

let files: SourceFile[];
let modulePackage: { dependencies: Record<string, string> };
let lock: Parameters<typeof dependencyProblems>[1];
let rootPackage: Parameters<typeof dependencyProblems>[3];

beforeAll(async () => {
  files = await Promise.all(
    (await moduleSourceFiles()).map(async (path) => ({ path, text: await readFile(path, "utf8") })),
  );
  modulePackage = await readJson(join(moduleDir, "package.json"));
  lock = await readJson(join(moduleDir, "package-lock.json"));
  rootPackage = await readJson(join(repoRoot, "package.json"));
});

describe("the module's runtime dependencies", () => {
  it("cover every import under dagger/src, with no Node built-in and nothing outside dagger/", () => {
    const { problems } = importProblems(files, moduleDir, Object.keys(modulePackage.dependencies));
    expect(problems).toEqual([]);
  });

  it("are all used, pinned like the host's and locked", () => {
    const { packages } = importProblems(files, moduleDir, Object.keys(modulePackage.dependencies));
    expect(dependencyProblems(modulePackage, lock, packages, rootPackage)).toEqual([]);
  });
});

describe("the dependency checks catch a broken module", () => {
  const source = (text: string): SourceFile => ({
    path: join(moduleDir, "src", "runner", "x.ts"),
    text,
  });

  it("a host-only import, an undeclared package or a path outside the module", () => {
    const { problems } = importProblems(
      [
        source('import { execa } from "execa";'),
        source('import { readFile } from "node:fs/promises";'),
        source('import type { X } from "../../../pipeline/command.js";'),
      ],
      moduleDir,
      Object.keys(modulePackage.dependencies),
    );
    expect(problems).toEqual([
      "src/runner/x.ts imports execa, which dagger/package.json does not depend on",
      "src/runner/x.ts imports the Node built-in node:fs/promises",
      "src/runner/x.ts imports ../../../pipeline/command.js, outside the uploaded module",
    ]);
  });

  it("typescript at the runtime's exact default version, or missing (the runtime adds it back)", () => {
    const { packages } = importProblems(files, moduleDir, Object.keys(modulePackage.dependencies));
    const withTypescript = (typescript?: string) => ({
      dependencies: {
        ...Object.fromEntries(
          Object.entries(modulePackage.dependencies).filter(([name]) => name !== "typescript"),
        ),
        ...(typescript === undefined ? {} : { typescript }),
      },
    });
    const pinned = dependencyProblems(withTypescript("5.9.3"), lock, packages, rootPackage);
    expect(pinned).toContain(
      'typescript is exactly "5.9.3", the runtime\'s default: it mounts its own TypeScript there and npm install fails with EBUSY; use a range such as ~5.9.3',
    );
    const missing = dependencyProblems(withTypescript(), lock, packages, rootPackage);
    expect(missing).toContain(
      'typescript is missing: the runtime adds "5.9.3" back, which breaks loading (EBUSY)',
    );
  });

  it("an unused, unpinned or unlocked dependency", () => {
    const bloated = { dependencies: { ...modulePackage.dependencies, execa: "^10.2.1" } };
    const { packages } = importProblems(files, moduleDir, Object.keys(bloated.dependencies));
    expect(dependencyProblems(bloated, lock, packages, rootPackage)).toEqual([
      "execa is a runtime dependency nothing under dagger/src imports",
      "execa is ^10.2.1 in the module but 10.2.1 on the host",
      "dagger/package-lock.json does not lock execa at ^10.2.1",
      "dagger/package-lock.json is out of date with dagger/package.json",
    ]);
  });
});

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { INSTALL_MANIFESTS, SOURCE_IGNORE } from "#core";
import { globMatcher, readSourceTree } from "../../../pipeline/host/source-files.js";
import { tempDir } from "../../helpers/fixture-repo.js";

const PATHS = [
  "package.json",
  "services/db/package.json",
  "services/db",
  "services/db/src/index.ts",
  "services/db/.env.example",
  "services/dbx/src/index.ts",
  "services",
  "packages/http/src/index.ts",
  "docs/testing.md",
  "README.md",
  ".git",
  ".git/config",
  "node_modules/.bin/tsx",
  "services/db/node_modules/x/index.js",
  "pnpm-lock.yaml",
  "a/b/c/d.log",
  "[weird]/file.ts",
  "notes/.md",
  "docs/a.md/x",
  "a.md.bak",
  "services/db/app.log",
];

const GLOB_LISTS: string[][] = [
  ["services/db", "services/db/**", "packages/http", "packages/http/**", "package.json"],
  [".git", "**/*.md", "docs"],
  [...INSTALL_MANIFESTS],
  [...SOURCE_IGNORE],
  ["services/*/src/**", "[weird]/file.ts", "**/index.ts", "**/a/d.log"],
  ["**/*.md", "**/*.log", "**/*.ts"],
  [],
];

describe("a step's glob lists, matched with literal globs looked up", () => {
  it.each(GLOB_LISTS.map((globs) => [globs.join(" ") || "(none)", globs]))(
    "answers as picomatch does for %s",
    (_, globs) => {
      const reference = picomatch(globs as string[], { dot: true });
      const fast = globMatcher(globs as string[]);
      const answers = PATHS.map((path) => [path, fast(path)]);
      expect(answers).toEqual(
        PATHS.map((path) => [path, (globs as string[]).length > 0 && reference(path)]),
      );
    },
  );
});

describe("the checkout's files, walked once a run", () => {
  it("never walks into the git history, which no step is given", async () => {
    const repo = await tempDir("source-tree-");
    for (const [path, text] of [
      [".git/objects/ab/cdef", "blob"],
      [".git/modules/sub/package.json", "{}"],
      [".gitignore", "dist\n"],
      ["src/a.ts", "export {};\n"],
      ["node_modules/x/index.js", ""],
    ] as const) {
      await mkdir(join(repo, dirname(path)), { recursive: true });
      await writeFile(join(repo, path), text);
    }
    expect(await readSourceTree(repo)).toEqual({
      files: [".gitignore", "src/a.ts"],
      nodeModules: ["node_modules"],
    });
  });
});

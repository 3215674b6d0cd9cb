import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { developDriftProblems, typecheckModule } from "./helpers/module-typecheck.js";
import { moduleDir, withModuleVariant } from "./helpers/module-variant.js";

describe("dagger/src typechecks against the npm @dagger.io/dagger", () => {
  it("has no type errors with dagger/tsconfig.json", () => {
    const result = typecheckModule(moduleDir);
    expect(result.errors).toEqual([]);
    expect(result.daggerTypes).toMatch(
      /node_modules\/(\.pnpm\/.*\/)?@dagger\.io\/dagger\/dist\/src\/index\.d\.ts$/,
    );
  });

  it("has no type errors under the engine's TypeScript 5.9.3 either", () => {
    const result = typecheckModule(moduleDir, "typescript-engine");
    expect(result.version).toBe("5.9.3");
    expect(result.errors).toEqual([]);
  });

  it("reports a module calling a part of the graph that does not exist", async () => {
    const result = await withModuleVariant(
      (source) => source.replace('.part("lint")', '.part("lnt")'),
      async (dir) => typecheckModule(dir),
    );
    expect(result.errors).toEqual([
      expect.stringMatching(/src\/index\.ts\(\d+,\d+\): error TS2345: Argument of type '"lnt"'/),
    ]);
  });
});

describe("dagger/tsconfig.json", () => {
  const { compilerOptions } = JSON.parse(readFileSync(join(moduleDir, "tsconfig.json"), "utf8"));

  it("already holds what dagger develop writes, so running it changes nothing", () => {
    expect(developDriftProblems(compilerOptions)).toEqual([]);
  });

  it("is reported when dagger develop would rewrite it", () => {
    const { paths: _paths, ...withoutPaths } = compilerOptions;
    expect(developDriftProblems({ ...withoutPaths, experimentalDecorators: false })).toEqual([
      "compilerOptions.experimentalDecorators is not true; dagger develop would rewrite it",
      expect.stringMatching(/^compilerOptions\.paths is not .*sdk\/index\.ts/),
    ]);
  });
});

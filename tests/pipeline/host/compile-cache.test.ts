import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers/fixture-repo.js";
import { REPO_ROOT } from "../../helpers/paths.js";

/** What a child of the pipeline would inherit, from a fresh Node process with `env`. */
async function inheritedCacheDir(env: Record<string, string>): Promise<string> {
  const { stdout } = await execa(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [
      "--eval",
      `import { shareCompileCache } from ${JSON.stringify(join(REPO_ROOT, "pipeline/host/compile-cache.mjs"))};
       shareCompileCache(process.env);
       console.log(process.env.NODE_COMPILE_CACHE ?? "unset");`,
    ],
    {
      cwd: REPO_ROOT,
      env: { NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined, ...env },
    },
  );
  return stdout.trim();
}

describe("the compile cache the pipeline shares with its child processes", () => {
  it("is handed to children in NODE_COMPILE_CACHE, which Node alone does not do", async () => {
    expect(await inheritedCacheDir({})).toMatch(/node-compile-cache/);
  });

  it("keeps a directory the user chose", async () => {
    const chosen = await tempDir("compile-cache-");
    expect(await inheritedCacheDir({ NODE_COMPILE_CACHE: chosen })).toBe(chosen);
  });

  it("stays off for children when the user disabled it", async () => {
    expect(await inheritedCacheDir({ NODE_DISABLE_COMPILE_CACHE: "1" })).toBe("unset");
  });
});

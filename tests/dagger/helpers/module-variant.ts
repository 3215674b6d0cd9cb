import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "./repo-steps.js";

export const moduleDir = join(repoRoot, "dagger");

/** Every .ts file under a module's src/, as the runtime loads them. */
export async function moduleSourceFiles(dir = moduleDir): Promise<string[]> {
  const entries = await readdir(join(dir, "src"), { recursive: true });
  return entries.filter((entry) => entry.endsWith(".ts")).map((entry) => join(dir, "src", entry));
}

/**
 * A copy of the module with `src/index.ts` edited, for showing that a check catches the break.
 * It lives under node_modules/.cache so `@dagger.io/dagger` still resolves from the copy.
 */
export async function withModuleVariant<T>(
  edit: (indexTs: string) => string,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  const parent = join(repoRoot, "node_modules", ".cache", "dagger-module-variants");
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, "variant-"));
  try {
    await cp(join(moduleDir, "src"), join(dir, "src"), { recursive: true });
    await cp(join(moduleDir, "tsconfig.json"), join(dir, "tsconfig.json"));
    const indexPath = join(dir, "src", "index.ts");
    const original = await readFile(indexPath, "utf8");
    const edited = edit(original);
    if (edited === original) {
      throw new Error("the variant's edit changed nothing in index.ts");
    }
    await writeFile(indexPath, edited);
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

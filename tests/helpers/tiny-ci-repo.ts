import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { coverageMap } from "./coverage-maps.js";
import { git, tempDir } from "./fixture-repo.js";

export interface TinyCiRepoOptions {
  /** A service whose unit tests fail. */
  failing?: string;
  /**
   * Written into each test script's folder; the script waits until this file exists, so a test
   * decides when the run may finish (the dashboard test watches it while it is under way).
   */
  gate?: string;
}

const SERVICES = ["api", "auth", "db"] as const;

// Each test script writes an istanbul map, so the coverage gate has something to judge; db
// leaves one statement of ten unrun, above the threshold but not full, as real maps are.
const TEST_SCRIPT = `import { cpSync, existsSync, mkdirSync } from "node:fs";
const gate = process.env.TINY_CI_GATE;
while (gate && !existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 50));
if (process.env.TINY_CI_FAIL === "1") {
  console.error("expected 200, got 500");
  process.exit(1);
}
mkdirSync("coverage", { recursive: true });
cpSync("coverage-map.json", "coverage/coverage-final.json");
console.log("3 tests passed");
`;

/**
 * A small pnpm workspace of three Workers whose scripts are plain node: `pnpm run pipeline ci`
 * runs its real step graph (install, typecheck, lint, unit tests with coverage, the coverage
 * gate) in a few seconds. A git repository with one commit.
 */
export async function tinyCiRepo(options: TinyCiRepoOptions = {}): Promise<string> {
  const root = await tempDir("tiny-ci-");
  const write = async (path: string, text: string) => {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  };
  await write(
    "package.json",
    JSON.stringify({
      name: "tiny-ci",
      private: true,
      type: "module",
      scripts: { typecheck: "node -e 0", lint: "node -e 0" },
    }),
  );
  await write("pnpm-workspace.yaml", "packages:\n  - services/*\n");
  await write(".gitignore", "node_modules/\ncoverage/\n.pipeline/\n");
  for (const service of SERVICES) {
    const dir = `services/${service}`;
    const fail = service === options.failing ? "TINY_CI_FAIL=1 " : "";
    const gate = options.gate ? `TINY_CI_GATE=${options.gate} ` : "";
    await write(
      `${dir}/package.json`,
      JSON.stringify({
        name: `@tiny/${service}`,
        version: "1.0.0",
        private: true,
        type: "module",
        scripts: { test: `${fail}${gate}node test.mjs --coverage` },
      }),
    );
    await write(`${dir}/wrangler.jsonc`, JSON.stringify({ name: service, main: "src/index.ts" }));
    await write(`${dir}/src/index.ts`, "export default { fetch: () => new Response('ok') };\n");
    await write(`${dir}/test.mjs`, TEST_SCRIPT);
    await write(
      `${dir}/coverage-map.json`,
      JSON.stringify(
        coverageMap({
          [join(root, dir, "src/index.ts")]: {
            statements: service === "db" ? [1, 1, 1, 1, 1, 1, 1, 1, 1, 0] : [1, 1, 1, 1],
            functions: [1],
          },
        }),
      ),
    );
  }
  await execa("pnpm", ["install", "--lockfile-only", "--silent"], { cwd: root });
  await git(root, "init", "--quiet", "--initial-branch=main");
  await git(root, "add", "--all");
  await git(root, "commit", "--quiet", "-m", "tiny ci repo");
  return root;
}

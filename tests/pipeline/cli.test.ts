import { readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { CommandSpec } from "../../pipeline/command-spec.js";
import { COMMANDS } from "../../pipeline/commands/index.js";
import { parseCommandLine } from "../../pipeline/parse-command-line.js";
import { commitFiles, fixtureRepo, git, tempDir } from "../helpers/fixture-repo.js";
import { runPipeline } from "../helpers/in-process-cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

function cli(args: string[], cwd = REPO_ROOT) {
  return runPipeline(args, { cwd, env: {} });
}

describe("pipeline CLI bad input", () => {
  it("registers the CI commands", () => {
    expect(Object.keys(COMMANDS)).toEqual(
      expect.arrayContaining([
        "ci",
        "typecheck",
        "lint",
        "test",
        "integration",
        "coverage",
        "affected",
        "graph",
      ]),
    );
  });

  const cases: [string, string[], string][] = [
    [
      "no command",
      [],
      `pipeline: missing command; valid commands: ${Object.keys(COMMANDS).join(", ")}`,
    ],
    [
      "an unknown command",
      ["deploi"],
      `pipeline: unknown command "deploi" (did you mean deploy?); valid commands: ${Object.keys(COMMANDS).join(", ")}`,
    ],
    [
      "help for an unknown command",
      ["help", "deploi"],
      `pipeline: unknown command "deploi" (did you mean deploy?); valid commands: ${Object.keys(COMMANDS).join(", ")}`,
    ],
    [
      "an unknown flag",
      ["test", "--servce", "db"],
      "pipeline test: unknown option --servce (did you mean --service?); valid options: --keep-going, --json <file>, --summary <file>, --concurrency <n>, --verbose, --no-sandbox, --no-cache, --service <name>, --help",
    ],
    [
      "an unknown flag with nothing close to it",
      ["graph", "--frobnicate"],
      "pipeline graph: unknown option --frobnicate; valid options: --env <env>, --json, --repo <path>, --help",
    ],
    [
      "an unknown flag of an action",
      ["local", "status", "--jsn"],
      "pipeline local status: unknown option --jsn (did you mean --json?); valid options: --json, --state-dir <dir>, --help",
    ],
    [
      "an unknown action",
      ["local", "statu"],
      'pipeline local: unknown action "statu" (did you mean status?); valid actions: start, stop, status',
    ],
    [
      "help as an action",
      ["local", "help", "start"],
      'pipeline local: unknown action "help"; valid actions: start, stop, status',
    ],
    [
      "an unknown service",
      ["test", "--service", "nope"],
      'pipeline test: unknown service "nope"; valid services: auth, db, email, gateway',
    ],
    [
      "an unknown environment",
      ["graph", "--env", "prod"],
      'pipeline graph: --env: unknown value "prod"; valid values: @local, staging, production',
    ],
    [
      "an unknown environment to deploy to",
      ["deploy", "--service", "db", "--env", "prod"],
      'pipeline deploy: --env: unknown value "prod"; valid values: @local, staging, production',
    ],
    [
      "deploy without --env",
      ["deploy", "--service", "db"],
      "pipeline deploy: --env <env> is required; valid values: @local, staging, production",
    ],
    [
      "rollback without --service",
      ["rollback", "--env", "local"],
      "pipeline rollback: --service <name> is required; services: auth, db, email, gateway",
    ],
    ["affected without --base", ["affected"], "pipeline affected: --base <ref> is required"],
    [
      "an option without its value",
      ["ci", "--json"],
      "pipeline ci: option '--json <file>' argument missing",
    ],
    [
      "a --base that looks like an option",
      ["affected", "--base=--output=x"],
      'pipeline affected: --base: "--output=x" is not a git ref; pass a branch, tag or commit such as origin/main',
    ],
    [
      "a stray positional argument",
      ["lint", "src"],
      'pipeline lint: unexpected argument "src", it takes only options: --keep-going, --json <file>, --summary <file>, --concurrency <n>, --verbose, --no-sandbox, --no-cache, --help',
    ],
    [
      "a bad concurrency",
      ["lint", "--concurrency", "0"],
      'pipeline lint: --concurrency: "0" is not a positive integer',
    ],
    [
      "an unknown deploy strategy",
      ["deploy", "--service", "db", "--env", "local", "--strategy", "foo"],
      'pipeline deploy: --strategy: unknown value "foo"; valid values: gradual, immediate',
    ],
    [
      "falling rollout steps",
      ["deploy", "--service", "db", "--env", "production", "--steps", "10,5"],
      'pipeline deploy: --steps: "10,5" is not a list of percentages from 1 to 100, rising, ending at 100, e.g. 10,50,100',
    ],
    [
      "a 0% rollout step",
      ["release", "--steps", "0,100"],
      'pipeline release: --steps: "0,100" is not a list of percentages from 1 to 100, rising, ending at 100, e.g. 10,50,100',
    ],
    [
      "a negative analysis window",
      ["deploy", "--service", "db", "--env", "local", "--strategy", "gradual", "--window", "-1"],
      'pipeline deploy: --window: "-1" is not a number of seconds > 0, e.g. 60',
    ],
    [
      "--base with --service",
      ["ci", "--base", "main", "--service", "db"],
      "pipeline ci: use either --base or --service, not both",
    ],
  ];

  it.each(cases)("rejects %s with one line and exit code 2", async (_, args, message) => {
    const repo = await fixtureRepo();
    const result = await cli(args, repo);
    expect(result).toEqual({ exitCode: 2, stdout: "", stderr: message });
  });

  it("changes nothing in the repository on bad input", async () => {
    const repo = await fixtureRepo();
    for (const args of [
      ["deploy", "--servce", "db", "--env", "local"],
      ["deploy", "--service", "db", "--env", "prod"],
      ["deploy", "--service", "db"],
      ["local", "start", "--port", "http"],
      ["ci", "--summary"],
      ["deploy", "--service", "db", "--env", "local", "--strategy", "gradual", "--window", "-1"],
    ]) {
      const result = await cli(args, repo);
      expect(result.exitCode, args.join(" ")).toBe(2);
    }
    // What wrangler read of the configs is remembered even when the flags are then refused: a
    // cache of derived data (see pipeline/host/remembered-config-reader.ts), not state.
    await rm(join(repo, ".pipeline/cache/configs"), { recursive: true });
    await rmdir(join(repo, ".pipeline/cache"));
    await rmdir(join(repo, ".pipeline"));
    expect(await git(repo, "status", "--porcelain", "--ignored")).toBe("");
  });

  it("rejects a --base ref that does not exist", async () => {
    const repo = await fixtureRepo();
    const result = await cli(["affected", "--base", "no-such-ref"], repo);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "pipeline affected: --base no-such-ref: no such git ref in this repository; pass an existing branch, tag or commit (e.g. origin/main, HEAD~1)",
    );
  });

  it("explains that it must run inside the repository", async () => {
    const outside = await tempDir("pipeline-outside-");
    const result = await cli(["graph"], outside);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `pipeline graph: not inside a workspace: no pnpm-workspace.yaml (or package.json with "workspaces") in ${outside} or its parents; run pnpm run pipeline from the repository, or pass --repo <path>`,
    );
  });

  it("exits 2 from the real entry point on an unknown command", async () => {
    const result = await execa(
      join(REPO_ROOT, "node_modules/.bin/tsx"),
      [join(REPO_ROOT, "pipeline/cli.ts"), "nope"],
      {
        cwd: REPO_ROOT,
        reject: false,
      },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('pipeline: unknown command "nope"');
  });
});

/** Every command and every action of a command with actions, as typed after `pnpm run pipeline`. */
const COMMAND_PATHS: [string, CommandSpec][] = Object.entries(COMMANDS).flatMap(([name, entry]) =>
  "actions" in entry
    ? Object.entries(entry.actions).map(([action, spec]): [string, CommandSpec] => [
        `${name} ${action}`,
        spec,
      ])
    : [[name, entry]],
);

/** Help text with commander's line wrapping undone. */
const unwrapped = (text: string) => text.replace(/\s+/g, " ");

describe("pipeline CLI help", () => {
  it("--help, -h and help list every command with its summary", async () => {
    const help = await cli(["--help"]);
    expect(help).toMatchObject({ exitCode: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: pnpm run pipeline <command> \[options\]$/m);
    for (const [name, entry] of Object.entries(COMMANDS)) {
      expect(unwrapped(help.stdout)).toContain(`${name}${"actions" in entry ? "" : " [options]"} `);
      expect(unwrapped(help.stdout)).toContain(entry.summary);
    }
    expect(await cli(["-h"])).toEqual(help);
    expect(await cli(["help"])).toEqual(help);
  });

  it.each(COMMAND_PATHS)(
    "%s: --help shows its summary, its options with defaults and choices, and two examples",
    async (path, spec) => {
      const help = await cli([...path.split(" "), "--help"]);
      expect(help).toMatchObject({ exitCode: 0, stderr: "" });
      const text = unwrapped(help.stdout);
      expect(text).toContain(`Usage: pnpm run pipeline ${path} [options]`);
      expect(text).toContain(spec.summary);
      for (const [name, option] of Object.entries(spec.options)) {
        const flags = option.value === undefined ? `--${name}` : `--${name} ${option.value}`;
        expect(text).toContain(`${flags} ${option.description}`);
        if (option.choices) {
          expect(text).toContain(`choices: ${option.choices.map((c) => `"${c}"`).join(", ")}`);
        }
        if (option.default) {
          expect(text).toContain(`default: "${option.default}"`);
        }
      }
      expect(help.stdout).toContain(`Examples:\n  ${spec.examples[0]}\n  ${spec.examples[1]}`);
      expect(await cli([...path.split(" "), "-h"])).toEqual(help);
      expect(await cli(["help", ...path.split(" ")])).toEqual(help);
    },
  );

  it("local --help lists its actions and two examples", async () => {
    const help = await cli(["help", "local"]);
    expect(help).toMatchObject({ exitCode: 0, stderr: "" });
    expect(help.stdout).toMatch(/^ {2}start \[options\] +start the control plane/m);
    expect(help.stdout).toMatch(/^ {2}status \[options\] +the control plane and each worker/m);
    expect(help.stdout).toContain(
      "Examples:\n  pnpm run pipeline local start\n  pnpm run pipeline local status --json",
    );
  });

  it.each(COMMAND_PATHS)("%s: both examples are valid command lines", (_, spec) => {
    for (const example of spec.examples) {
      const argv = example.replace(/^pnpm run pipeline /, "").split(" ");
      expect(parseCommandLine(COMMANDS, argv, () => {})?.command, example).toBeDefined();
    }
  });
});

describe("pipeline commands on the fixture workspace", () => {
  it("affected --json lists the changed service and its dependents only", async () => {
    const repo = await fixtureRepo();
    await commitFiles(repo, { "services/auth/src/index.ts": "export const v = 2;\n" });
    const result = await cli(["affected", "--base", "HEAD~1", "--json"], repo);
    expect(result.exitCode).toBe(0);
    const affected = JSON.parse(result.stdout);
    expect(affected.services).toEqual([
      { name: "auth", reason: "changed: services/auth/src/index.ts" },
      { name: "gateway", reason: "depends on auth" },
    ]);
  });

  it("graph prints the waves for an environment", async () => {
    const repo = await fixtureRepo();
    const result = await cli(["graph", "--env", "staging", "--json"], repo);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).waves).toEqual([["db"], ["auth", "email"], ["gateway"]]);
  });

  it("graph and affected --repo work on another repository from here", async () => {
    const repo = await fixtureRepo("apps-packages");
    await commitFiles(repo, { "packages/db-client/src/index.ts": "export {};\n" });
    const graph = await cli(["graph", "--repo", repo, "--json"]);
    expect(graph.exitCode).toBe(0);
    const parsed = JSON.parse(graph.stdout);
    expect(parsed.target).toBe("production");
    expect(parsed.waves).toEqual([["auth"], ["api"]]);
    expect(parsed.libraries.map((library: { name: string }) => library.name)).toEqual([
      "@acme/db-client",
      "@acme/shared",
      "@acme/web",
    ]);
    const affected = await cli(["affected", "--repo", repo, "--base", "HEAD~1", "--json"]);
    expect(affected.exitCode).toBe(0);
    expect(JSON.parse(affected.stdout).services).toEqual([
      { name: "api", reason: "depends on @acme/db-client" },
    ]);
    const missing = await cli(["graph", "--repo", join(repo, "nope")]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(`pipeline graph: --repo ${join(repo, "nope")}: no such folder`);
  });

  it("graph without --env shows the top level of a repository without environments", async () => {
    const repo = await fixtureRepo("no-envs");
    const result = await cli(["graph", "--repo", repo]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("service graph (@local):");
  });

  it("deploy to an environment only some Workers declare leaves the others out, one line each", async () => {
    const repo = await fixtureRepo("templates");
    await commitFiles(repo, {
      "hello-template/wrangler.jsonc": JSON.stringify({
        name: "hello",
        main: "src/index.ts",
        env: { staging: {}, production: { name: "hello-prod" }, canary: {} },
      }),
    });
    const result = await cli(["deploy", "--env", "canary", "--service", "all", "--dry-run"], repo);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n")).toEqual(
      ["ai-template", "durable-template", "queues-template", "router-template"].map(
        (name) =>
          `${name}: left out of canary: ${name}/wrangler.${{ "ai-template": "toml", "durable-template": "json", "queues-template": "toml", "router-template": "jsonc" }[name]}: declares no env.canary, so wrangler cannot deploy it there`,
      ),
    );
    expect(result.stdout).toContain("wave 1: hello-template → hello-canary");
  });

  it("ci --base with only docs changed succeeds without running a step and writes its reports", async () => {
    const repo = await fixtureRepo();
    await commitFiles(repo, { "docs/guide.md": "# new docs\n" });
    const result = await cli(
      ["ci", "--base", "HEAD~1", "--json", "out/report.json", "--summary", "out/summary.md"],
      repo,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("nothing affected since HEAD~1 (only documentation changed)");
    const report = JSON.parse(await readFile(join(repo, "out/report.json"), "utf8"));
    expect(report).toMatchObject({ passed: true, steps: [] });
    expect(await readFile(join(repo, "out/summary.md"), "utf8")).toContain(
      "## pipeline ci: passed",
    );
  });

  it("a failing step makes the command exit non-zero and name the step, also in $GITHUB_STEP_SUMMARY", async () => {
    const repo = await fixtureRepo();
    // The fixture's test script is `vitest run`, which is not installed there: the step fails.
    const summaryFile = join(repo, "step-summary.md");
    const { exitCode, stdout, stderr } = await runPipeline(["test", "--service", "db"], {
      cwd: repo,
      env: { GITHUB_STEP_SUMMARY: summaryFile },
    });
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/==== FAILED: test:db \(exit code [1-9]\d*\) ====/);
    expect(stdout).toContain("FAILED: test:db");
    expect(await readFile(summaryFile, "utf8")).toContain("### test:db failed");
  });

  it("--verbose streams each step's output prefixed with the step", async () => {
    const repo = await fixtureRepo();
    const result = await cli(["test", "--service", "db", "--verbose"], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^\[test:db\] .+/m);
    expect((await cli(["test", "--service", "db"], repo)).stdout).not.toMatch(/^\[test:db\]/m);
  });
});

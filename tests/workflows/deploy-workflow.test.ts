import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAIN_ROOT } from "../helpers/temp-repo.js";
import {
  DAGGER_ACTION,
  parseWorkflow,
  type Workflow,
  workflowProblems,
} from "./helpers/workflow-rules.js";

const text = readFileSync(join(MAIN_ROOT, ".github/workflows/deploy.yml"), "utf8");
const engineVersion: string = JSON.parse(
  readFileSync(join(MAIN_ROOT, "dagger.json"), "utf8"),
).engineVersion;

function parse(source: string): Workflow {
  const { workflow, problems } = parseWorkflow(source);
  expect(problems).toEqual([]);
  return workflow as Workflow;
}

interface DeployJob {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  steps: { uses?: string; env?: Record<string, string>; with?: Record<string, unknown> }[];
}

const workflow = parse(text);
const jobs = workflow.jobs as unknown as Record<string, DeployJob>;
const on = workflow.on as {
  workflow_run: { workflows: string[]; types: string[]; branches: string[] };
  workflow_dispatch: { inputs: Record<string, { type: string; options?: string[] }> };
};

describe("deploy.yml", () => {
  it("passes actionlint and the one-Dagger-step shape, pinned to engineVersion", async () => {
    expect(await workflowProblems(".github/workflows/deploy.yml", text, engineVersion)).toEqual([]);
  });

  it("runs after a successful CI on main, and by hand with service and environment", () => {
    expect(on.workflow_run).toEqual({
      workflows: ["ci"],
      types: ["completed"],
      branches: ["main"],
    });
    expect(jobs.staging?.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(on.workflow_dispatch.inputs.service?.type).toBe("string");
    expect(on.workflow_dispatch.inputs.environment).toMatchObject({
      type: "choice",
      options: ["staging", "production"],
    });
  });

  it("deploys staging before production, one concurrency group per environment", () => {
    expect(jobs.production?.needs).toContain("staging");
    for (const env of ["staging", "production"]) {
      expect(jobs[env]?.concurrency).toEqual({
        group: `deploy-${env}`,
        "cancel-in-progress": false,
      });
    }
  });

  it("hands the token to Dagger only as env://, from secrets through env", () => {
    for (const env of ["staging", "production"]) {
      const step = jobs[env]?.steps.find((candidate) => candidate.uses?.startsWith(DAGGER_ACTION));
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      expect(step?.env?.CLOUDFLARE_API_TOKEN).toBe("${{ secrets.CLOUDFLARE_API_TOKEN }}");
      const args = String(step?.with?.args);
      expect(args).toContain(`deploy --env ${env} --service`);
      expect(args).toContain("--token env://CLOUDFLARE_API_TOKEN");
      expect(args).not.toMatch(/secrets\./);
    }
  });

  it("opens an incident issue when a deploy fails, the only job that may write issues", () => {
    const incident = jobs.incident;
    expect(incident?.needs).toEqual(["staging", "production"]);
    expect(incident?.if).toContain("needs.production.result == 'failure'");
    expect(incident?.permissions).toEqual({ issues: "write" });
    const others = Object.entries(jobs).filter(([name]) => name !== "incident");
    expect(others.every(([, job]) => job.permissions === undefined)).toBe(true);
    const step = incident?.steps[0] as { run?: string; env?: Record<string, string> };
    expect(step.run).toContain('gh issue create --title "Deploy to $ENVIRONMENT failed: $COMMIT"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    expect(step.env?.GH_TOKEN).toBe("${{ github.token }}");
  });

  it("recovers after a cancelled or failed deploy job, in a job of its own, by the same run id", () => {
    for (const env of ["staging", "production"] as const) {
      const recover = jobs[`recover-${env}`];
      expect(recover?.needs).toBe(env);
      // Evaluated when the deploy job ends, also in a cancelled run: cancelled() keeps it alive.
      expect(recover?.if).toContain("cancelled()");
      expect(recover?.if).toContain(`needs.${env}.result == 'cancelled'`);
      expect(recover?.if).toContain(`needs.${env}.result == 'failure'`);
      const step = recover?.steps.find((candidate) => candidate.uses?.startsWith(DAGGER_ACTION));
      expect(String(step?.with?.args)).toContain(`recover --env ${env} --run "$DEPLOY_RUN"`);
      const deploy = jobs[env]?.steps.find((candidate) =>
        candidate.uses?.startsWith(DAGGER_ACTION),
      );
      expect(String(deploy?.with?.args)).toContain('--run "$DEPLOY_RUN"');
      expect(step?.env?.DEPLOY_RUN).toBe(deploy?.env?.DEPLOY_RUN);
    }
  });

  it("would reject a token interpolated into args (the check can fail)", async () => {
    const leaky = text.replace(
      "--token env://CLOUDFLARE_API_TOKEN",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      "--token ${{ secrets.CLOUDFLARE_API_TOKEN }}",
    );
    expect(
      (await workflowProblems(".github/workflows/deploy.yml", leaky, engineVersion)).join("\n"),
    ).toContain("a secret in args would reach argv");
  });
});

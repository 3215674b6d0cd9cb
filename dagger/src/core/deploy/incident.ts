import { renderMarkdown } from "./render-report.js";
import type { DeployReport } from "./report.js";

/**
 * The incident issue a failed rollout or bake opens (the guide's Stage 4: "create incident
 * issues"). The pipeline only writes it into the report: in GitHub Actions the deploy
 * workflow's `incident` job files it with the workflow's token (`issues: write` is granted to
 * that job alone); anywhere else the report shows what would have been filed.
 */
export interface Incident {
  title: string;
  /** Markdown: the deploy report, every window with both versions' counts and verdicts. */
  body: string;
}

/** The services whose canary analysis or bake failed: what makes a deploy an incident. */
function failedCanaries(report: DeployReport): string[] {
  return report.services
    .filter(
      (service) =>
        service.bake?.verdict === "fail" ||
        service.steps?.some(
          (step) => step.analysis !== undefined && step.analysis.verdict !== "pass",
        ),
    )
    .map((service) => service.service);
}

/** `report` with its incident, when a rollout or bake failed. */
export function withIncident(report: DeployReport): DeployReport {
  const failed = failedCanaries(report);
  if (failed.length === 0) return report;
  const rolledBack = report.services.every(
    (service) => service.rollback === undefined || service.rollback.outcome !== "failed",
  );
  return {
    ...report,
    incident: {
      title: `Deploy to ${report.target} ${rolledBack ? "rolled back" : "FAILED TO ROLL BACK"}: ${failed.join(", ")} failed canary analysis (${report.startedAt})`,
      body: renderMarkdown(report),
    },
  };
}

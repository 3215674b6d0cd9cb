import type { DeployStrategy } from "../config/deploy-strategies.js";
import type { DeployTarget } from "../services/catalog.js";
import type { BakeReport } from "./bake-period.js";
import type { WindowAnalysis } from "./canary-analysis.js";
import type { HealthResult } from "./health.js";
import type { Incident } from "./incident.js";
import type { Interruption } from "./interruption.js";
import type { AppliedMigrations } from "./ports.js";
import type { ProbeTraffic } from "./probe-traffic.js";
import type { GradualPolicy } from "./rollout-policy.js";
import type { SmokeResult } from "./smoke-tests.js";

export type RollbackOutcome = "rolled-back" | "failed" | "nothing-to-roll-back";

export interface RollbackReport {
  outcome: RollbackOutcome;
  /** The version we returned (or tried to return) to; null for a first deploy. */
  toVersion: string | null;
  durationMs: number;
  /** One plain sentence saying what happened. */
  note: string;
  health?: HealthResult;
  failure?: string;
  /** Set when the rollback failed: the exact command that finishes it by hand. */
  manualCommand?: string;
}

/**
 * `skipped`: not started because an earlier wave failed or the run was interrupted first.
 * `interrupted`: the run was interrupted while this service was under way (its new version, if
 * it got one, is rolled back with the rest).
 */
export type ServiceOutcome = "deployed" | "failed" | "skipped" | "interrupted";

export interface ServiceTimings {
  recordMs?: number;
  deployMs?: number;
  healthMs?: number;
  smokeMs?: number;
  /** Gradual: from the first traffic step to 100% (or to the failed step's rollback). */
  rolloutMs?: number;
}

/** One traffic step of a gradual rollout. */
export interface RolloutStepReport {
  /** The new version's share; 0 is the step that lets health and smoke tests reach it by override. */
  percentage: number;
  /** When the split went live. */
  startedAt: string;
  /**
   * The window's numbers and verdict (steps between 0 and 100 only, once the window ran):
   * per version, the requests, 5xx, 4xx, exceptions and p95 the telemetry saw, and each test.
   */
  analysis?: WindowAnalysis;
  /** How the window was watched: polls, early stop, waiting for traffic, sampling. */
  watch?: {
    polls: number;
    elapsedMs: number;
    stoppedEarly: boolean;
    waitedMs: number;
    /** 1 when every request was kept; N when one in N was (head_sampling_rate 1/N). */
    sampleInterval: number;
  };
  /** Probe traffic sent in the window, per version (included in `analysis`, counted apart). */
  probes?: ProbeTraffic[];
  /** Set when an interruption ended the step's window early. */
  interrupted?: string;
}

/**
 * Users' error exposure over a rollout: the 5xx responses (and exceptions) the new version
 * served them, divided by all their requests to either version, from the moment the first
 * traffic step's split was live (wrangler returned) to the rollout's end (100% and its bake, or
 * the rollback). Probe traffic is left out.
 */
export interface ErrorExposure {
  since: string;
  until: string;
  newVersionErrors: number;
  /** The 4xx it served them (a broken auth check's 401s); some are normal, so apart. */
  newVersionClientErrors: number;
  requests: number;
  /** Undefined when users sent nothing. */
  rate: number | undefined;
  /** 1 when every request was kept; estimates otherwise. */
  sampleInterval: number;
}

export interface ServiceReport {
  service: string;
  worker: string;
  /** 1-based wave number. */
  wave: number;
  outcome: ServiceOutcome;
  /** The version serving before this run; null when the Worker had never been deployed. */
  previousVersion: string | null;
  /** D1 migrations applied before the code, per database (absent when it has none). */
  migrations?: AppliedMigrations[];
  newVersion?: string;
  url?: string;
  /** Which step failed (or was interrupted) and why. */
  failure?: string;
  /**
   * Set when the runner stopped its `wrangler deploy` mid-flight: the version it uploaded may
   * still go live after the run ends; this is the command that undoes it by hand.
   */
  stoppedDeploy?: { manualCommand: string | undefined };
  health?: HealthResult;
  smoke: SmokeResult[];
  /** How its traffic moved; a first deploy goes at once even under gradual (nothing to compare). */
  strategy?: DeployStrategy;
  /** Gradual only: each traffic step, in order. */
  steps?: RolloutStepReport[];
  /** Gradual only: the watch after 100% against the old version's pre-deploy baseline. */
  bake?: BakeReport;
  /** Gradual only: how many of users' requests during the rollout got an error from the new version. */
  exposure?: ErrorExposure;
  rollback?: RollbackReport;
  timings: ServiceTimings;
  durationMs: number;
}

/** Every report names an interruption first, so it is the first thing anyone reads. */
export interface DeployReport {
  interrupted?: Interruption;
  kind: "deploy";
  target: DeployTarget;
  ok: boolean;
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  /** Service names per wave, in deploy order. */
  waves: string[][];
  /** The policy of a gradual run; absent when the run deployed at once. */
  gradual?: GradualPolicy;
  services: ServiceReport[];
  /** From the moment a failure or interruption stopped the run to the last rollback verified. */
  recoveryMs?: number;
  /** A rollout or bake that failed: the issue filed (in GitHub Actions) or that would be. */
  incident?: Incident;
}

export interface RollbackCommandReport {
  /** The rollback itself still runs to its end: it is what an interruption asks for. */
  interrupted?: Interruption;
  kind: "rollback";
  target: DeployTarget;
  ok: boolean;
  service: string;
  worker: string;
  fromVersion: string | null;
  rollback: RollbackReport;
  startedAt: string;
  durationMs: number;
}

/** A service checked again once its whole environment is deployed (release only). */
export interface ServiceValidation {
  service: string;
  ok: boolean;
  health?: HealthResult;
  smoke: SmokeResult[];
  failure?: string;
}

export interface ReleaseReport {
  interrupted?: Interruption;
  kind: "release";
  ok: boolean;
  startedAt: string;
  durationMs: number;
  /** The stages that ran, staging first; production is absent when staging failed. */
  stages: { deploy: DeployReport; validation: ServiceValidation[] }[];
  /** Why the release stopped, when it did. */
  stoppedAt?: string;
}

export type AnyDeployReport = DeployReport | RollbackCommandReport | ReleaseReport;

/** Rollbacks that did not finish: each is the loudest line of any report that contains it. */
export function failedRollbacks(
  report: AnyDeployReport,
): { service: string; target: DeployTarget; rollback: RollbackReport }[] {
  switch (report.kind) {
    case "deploy":
      return report.services.flatMap((service) =>
        service.rollback?.outcome === "failed"
          ? [{ service: service.service, target: report.target, rollback: service.rollback }]
          : [],
      );
    case "rollback":
      return report.rollback.outcome === "failed"
        ? [{ service: report.service, target: report.target, rollback: report.rollback }]
        : [];
    case "release":
      return report.stages.flatMap((stage) => failedRollbacks(stage.deploy));
  }
}

/**
 * DORA performance bands. Source: DORA, "Accelerate State of DevOps Report 2023" (Google Cloud),
 * the table of software delivery performance levels:
 *
 *   level   deployment frequency         lead time for changes   change fail rate  recovery time
 *   elite   on demand                    less than one day       5%                less than one hour
 *   high    once per day – once per week  one day – one week      10%               less than one day
 *   medium  once per week – once a month  one week – one month    15%               one day – one week
 *   low     once per week – once a month  one week – one month    64%               one month – six months
 *
 * The report describes clusters of respondents, not cut-offs, so the edges below are where one
 * level's description ends and the next begins. Two gaps are closed explicitly: the 2023 low
 * cluster's frequency and lead time overlap medium, so low takes the 2024 report's description
 * instead (once per month – once every six months; one month – six months), i.e. anything
 * slower than medium; and a recovery time between one week and one month counts as low.
 * A change failure rate at a level's figure belongs to that level (5% is elite).
 */
export type Band = "elite" | "high" | "medium" | "low";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/**
 * Deploy runs a day: elite more than once a day ("on demand", several a day), high from once a
 * week up to once a day, medium from once a month (30 days) up to once a week, low less often.
 */
export function deploymentFrequencyBand(perDay: number): Band {
  if (perDay > 1) return "elite";
  if (perDay >= 1 / 7) return "high";
  if (perDay >= 1 / 30) return "medium";
  return "low";
}

/** Median lead time: elite under a day, high up to a week, medium up to 30 days, low beyond. */
export function leadTimeBand(ms: number): Band {
  if (ms < DAY) return "elite";
  if (ms <= WEEK) return "high";
  if (ms <= MONTH) return "medium";
  return "low";
}

/** Failed share of deploy runs (0..1): elite up to 5%, high up to 10%, medium up to 15%. */
export function changeFailureRateBand(rate: number): Band {
  if (rate <= 0.05) return "elite";
  if (rate <= 0.1) return "high";
  if (rate <= 0.15) return "medium";
  return "low";
}

/** Median time to restore: elite under an hour, high under a day, medium up to a week. */
export function timeToRestoreBand(ms: number): Band {
  if (ms < HOUR) return "elite";
  if (ms < DAY) return "high";
  if (ms <= WEEK) return "medium";
  return "low";
}

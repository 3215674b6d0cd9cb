import { describe, expect, it } from "vitest";
import {
  changeFailureRateBand,
  deploymentFrequencyBand,
  InvalidSinceError,
  leadTimeBand,
  parseSince,
  timeToRestoreBand,
} from "#core";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MS = 1;

describe("DORA bands at their edges (State of DevOps 2023, low edges from 2024)", () => {
  it("deployment frequency: more than once a day is elite, once a day is high", () => {
    expect(deploymentFrequencyBand(31 / 30)).toBe("elite");
    expect(deploymentFrequencyBand(1)).toBe("high");
    expect(deploymentFrequencyBand(4 / 28)).toBe("high"); // exactly once a week
    expect(deploymentFrequencyBand(3 / 28)).toBe("medium");
    expect(deploymentFrequencyBand(1 / 30)).toBe("medium"); // exactly once a month
    expect(deploymentFrequencyBand(1 / 31)).toBe("low");
    expect(deploymentFrequencyBand(0)).toBe("low");
  });

  it("lead time: under a day elite, a day to a week high, to 30 days medium, then low", () => {
    expect(leadTimeBand(DAY - MS)).toBe("elite");
    expect(leadTimeBand(DAY)).toBe("high");
    expect(leadTimeBand(7 * DAY)).toBe("high");
    expect(leadTimeBand(7 * DAY + MS)).toBe("medium");
    expect(leadTimeBand(30 * DAY)).toBe("medium");
    expect(leadTimeBand(30 * DAY + MS)).toBe("low");
  });

  it("change failure rate: 5% elite, 10% high, 15% medium, above low", () => {
    expect(changeFailureRateBand(0)).toBe("elite");
    expect(changeFailureRateBand(1 / 20)).toBe("elite");
    expect(changeFailureRateBand(3 / 59)).toBe("high");
    expect(changeFailureRateBand(1 / 10)).toBe("high");
    expect(changeFailureRateBand(7 / 69)).toBe("medium");
    expect(changeFailureRateBand(3 / 20)).toBe("medium");
    expect(changeFailureRateBand(4 / 26)).toBe("low");
    expect(changeFailureRateBand(1)).toBe("low");
  });

  it("time to restore: under an hour elite, under a day high, to a week medium, then low", () => {
    expect(timeToRestoreBand(HOUR - MS)).toBe("elite");
    expect(timeToRestoreBand(HOUR)).toBe("high");
    expect(timeToRestoreBand(DAY - MS)).toBe("high");
    expect(timeToRestoreBand(DAY)).toBe("medium");
    expect(timeToRestoreBand(7 * DAY)).toBe("medium");
    expect(timeToRestoreBand(7 * DAY + MS)).toBe("low");
  });
});

describe("--since", () => {
  it("takes hours, days and weeks", () => {
    expect(parseSince("12h")).toEqual({ label: "12h", ms: 12 * HOUR });
    expect(parseSince("30d")).toEqual({ label: "30d", ms: 30 * DAY });
    expect(parseSince("2w")).toEqual({ label: "2w", ms: 14 * DAY });
  });

  it.each(["30x", "30", "d", "0d", "-1d", "1.5d", "30 d", "", "1e3d", "30D"])(
    "refuses %j in one line naming the valid forms",
    (value) => {
      expect(() => parseSince(value)).toThrow(InvalidSinceError);
      expect(() => parseSince(value)).toThrow(
        `--since: "${value}" is not a window; valid forms: <n>h, <n>d, <n>w (hours, days or weeks back from now, n a whole number from 1), e.g. 30d`,
      );
    },
  );
});

const HOUR = 3_600_000;
const UNITS = { h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR } as const;

/** How far back from now the metrics look. */
export interface Since {
  /** As given: `30d`. */
  label: string;
  ms: number;
}

/** A `--since` that is not one of the forms below: bad input, exit code 2 on the host. */
export class InvalidSinceError extends Error {
  constructor(value: string) {
    super(
      `--since: "${value}" is not a window; valid forms: <n>h, <n>d, <n>w (hours, days or weeks back from now, n a whole number from 1), e.g. 30d`,
    );
    this.name = "InvalidSinceError";
  }
}

export function parseSince(value: string): Since {
  const match = /^([1-9][0-9]{0,5})([hdw])$/.exec(value.trim());
  if (!match) throw new InvalidSinceError(value);
  const [, count, unit] = match as unknown as [string, string, keyof typeof UNITS];
  return { label: `${count}${unit}`, ms: Number(count) * UNITS[unit] };
}

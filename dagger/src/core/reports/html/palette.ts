/**
 * Colours from Okabe and Ito's palette ("Color Universal Design", 2008), chosen to stay apart
 * for the common forms of colour blindness. Colour is never the only signal: every status is
 * also a word (and a symbol) in the text, and the critical path is a thick outline plus a
 * marker in the step's label.
 */
export const COLOURS = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  grey: "#999999",
} as const;

/** The colour of an outcome; everything not listed (skipped, cancelled, running) is grey. */
export function outcomeColour(status: string): string {
  switch (status) {
    case "passed":
    case "deployed":
    case "rolled-back":
    case "pass":
      return COLOURS.blue;
    case "failed":
    case "fail":
      return COLOURS.vermillion;
    case "cached":
      return COLOURS.skyBlue;
    case "running":
    case "interrupted":
    case "inconclusive":
      return COLOURS.orange;
    default:
      return COLOURS.grey;
  }
}

/** A symbol beside each status word, so a status reads the same in greyscale. */
export function outcomeSymbol(status: string): string {
  switch (status) {
    case "passed":
    case "deployed":
    case "rolled-back":
    case "pass":
      return "✓";
    case "failed":
    case "fail":
      return "✗";
    case "cached":
      return "↺";
    case "running":
      return "…";
    default:
      return "–";
  }
}

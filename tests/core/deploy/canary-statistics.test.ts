import { describe, expect, it } from "vitest";
import { binomialUpperTail, fisherExactGreater, significantlyAbove } from "#core";

// The canary's statistics against values computed by hand.

describe("canary statistics", () => {
  it("gives the exact binomial upper tail", () => {
    // P(X ≥ 2) for Binomial(10, 0.05) = 1 − 0.95¹⁰ − 10 · 0.05 · 0.95⁹
    expect(binomialUpperTail(2, 10, 0.05)).toBeCloseTo(0.0861384, 6);
    expect(binomialUpperTail(0, 10, 0.05)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.05)).toBe(0);
    expect(binomialUpperTail(3, 10, 0)).toBe(0);
    expect(binomialUpperTail(3, 10, 1)).toBe(1);
    // Thousands of requests stay finite and exact (log space).
    expect(binomialUpperTail(600, 10_000, 0.05)).toBeLessThan(1e-5);
  });

  it("calls 10 failures in 12 requests above a 5% ceiling, and 1 in 10 not yet", () => {
    expect(significantlyAbove(10, 12, 0.05)).toBe(true);
    expect(significantlyAbove(1, 10, 0.05)).toBe(false);
    expect(significantlyAbove(2, 10, 0.05)).toBe(false);
    expect(significantlyAbove(3, 10, 0.05)).toBe(true);
    expect(significantlyAbove(0, 0, 0.05)).toBe(false);
  });

  it("gives Fisher's exact one-sided p for two proportions", () => {
    // 1 of 10 against 1 of 360: a z-test would say significant; exactly it is not.
    // 1 − C(368, 10) / C(370, 10) = 1 − (360 · 359) / (370 · 369)
    expect(fisherExactGreater(1, 10, 1, 360)).toBeCloseTo(1 - (360 * 359) / (370 * 369), 10);
    // 3 of 3 against 0 of 3: 1 / C(6, 3).
    expect(fisherExactGreater(3, 3, 0, 3)).toBeCloseTo(0.05, 10);
    expect(fisherExactGreater(30, 40, 0, 360)).toBeLessThan(1e-20);
    expect(fisherExactGreater(0, 40, 5, 360)).toBe(1);
    expect(fisherExactGreater(2, 0, 1, 10)).toBe(1);
  });
});

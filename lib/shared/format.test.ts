import { describe, expect, it } from "vitest";
import { formatSeconds, num, numberText, pct } from "./format";

describe("number formatters", () => {
  it("prints shares, numbers and durations one way", () => {
    expect(pct(0.1234)).toBe("12.3 %");
    expect(pct(0.5, 0)).toBe("50 %");
    expect([pct(null), pct(undefined), pct(Number.NaN)]).toEqual(["—", "—", "—"]);
    expect([num(3), num(0.123456), num(null)]).toEqual(["3", "0.1235", "—"]);
    expect([formatSeconds(45), formatSeconds(200), formatSeconds(7500)]).toEqual([
      "45 s",
      "3 min 20 s",
      "2 h 5 min",
    ]);
  });
});

describe("numberText", () => {
  it("prints small magnitudes in exponent form and others as decimals", () => {
    expect(numberText(1e-5)).toBe("1e-5");
    expect(numberText(0.00001)).toBe("1e-5");
    expect(numberText(2e-4)).toBe("2e-4");
    expect(numberText(0.001)).toBe("0.001");
    expect(numberText(0.7)).toBe("0.7");
    expect(numberText(0.1 + 0.2)).toBe("0.3");
    expect(numberText(4096)).toBe("4096");
    expect(numberText(0)).toBe("0");
  });
});

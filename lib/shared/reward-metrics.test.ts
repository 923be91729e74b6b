import { describe, expect, it } from "vitest";
import { MIN_HELD_OUT_PAIRS, tooFewHeldOut } from "./reward-metrics";

describe("tooFewHeldOut", () => {
  it("says how many held-out pairs there are below the minimum, and nothing from it on", () => {
    expect(tooFewHeldOut(undefined)).toBe("No held-out pairs: too few to measure");
    expect(tooFewHeldOut(0)).toBe("No held-out pairs: too few to measure");
    expect(tooFewHeldOut(1)).toBe("1 held-out pair: too few to measure");
    expect(tooFewHeldOut(2)).toBe("2 held-out pairs: too few to measure");
    expect(tooFewHeldOut(MIN_HELD_OUT_PAIRS)).toBeNull();
  });
});

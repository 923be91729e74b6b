import { beforeEach, describe, expect, it } from "vitest";
import {
  consumeSignInAttempt,
  refundSignInAttempt,
  resetSignInAttempts,
  SIGN_IN_MAX_ATTEMPTS,
  SIGN_IN_WINDOW_MS,
} from "./sign-in-limit";

describe("per-email sign-in limit", () => {
  beforeEach(() => resetSignInAttempts());
  it("allows the limit, refuses the next with a wait, and frees up after the window", () => {
    const t0 = 1_000_000;
    for (let i = 0; i < SIGN_IN_MAX_ATTEMPTS; i++)
      expect(consumeSignInAttempt("a@x.test", t0 + i)).toBeNull();
    const wait = consumeSignInAttempt("a@x.test", t0 + 100);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(SIGN_IN_WINDOW_MS / 1000);
    expect(consumeSignInAttempt("b@x.test", t0 + 100)).toBeNull();
    expect(consumeSignInAttempt("a@x.test", t0 + SIGN_IN_WINDOW_MS + 1)).toBeNull();
  });

  it("counts only failures: a successful attempt gives its slot back", () => {
    const t0 = 2_000_000;
    for (let i = 0; i < 3 * SIGN_IN_MAX_ATTEMPTS; i++) {
      expect(consumeSignInAttempt("ok@x.test", t0 + i)).toBeNull();
      refundSignInAttempt("ok@x.test", t0 + i);
    }
    for (let i = 0; i < SIGN_IN_MAX_ATTEMPTS; i++)
      expect(consumeSignInAttempt("ok@x.test", t0 + 100 + i)).toBeNull();
    expect(consumeSignInAttempt("ok@x.test", t0 + 200)).toBeGreaterThan(0);
  });
});

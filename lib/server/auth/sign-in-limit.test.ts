import { beforeEach, describe, expect, it } from "vitest";
import {
  consumeSignInAttempt,
  refundSignInAttempt,
  resetSignInAttempts,
  SIGN_IN_MAX_ATTEMPTS,
  SIGN_IN_WINDOW_MS,
  signInKey,
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

describe("per email + address (issue 18)", () => {
  beforeEach(() => resetSignInAttempts());
  it("a stranger's failures do not lock the owner out from another address", () => {
    const t0 = 3_000_000;
    for (let i = 0; i < SIGN_IN_MAX_ATTEMPTS; i++)
      consumeSignInAttempt(signInKey("owner@x.test", "198.51.100.1"), t0 + i);
    expect(
      consumeSignInAttempt(signInKey("owner@x.test", "198.51.100.1"), t0 + 50),
    ).toBeGreaterThan(0);
    expect(consumeSignInAttempt(signInKey("owner@x.test", "203.0.113.5"), t0 + 50)).toBeNull();
  });
});

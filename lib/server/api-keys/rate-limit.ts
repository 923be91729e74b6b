import "server-only";
// A token bucket per API key, in this process's memory: a burst of RATE_LIMIT_BURST requests,
// refilled at RATE_LIMIT_PER_MINUTE. One web process serves the API (scripts/start.ts), so a
// process-local limit is the whole limit; several web processes would each allow this much.
// A restart forgets the buckets, which errs on the side of letting requests through.

export const RATE_LIMIT_BURST = 60;
export const RATE_LIMIT_PER_MINUTE = 120;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst = RATE_LIMIT_BURST,
    readonly perMinute = RATE_LIMIT_PER_MINUTE,
  ) {}

  /** Takes one token for `key`; returns null when allowed, else the seconds until the next token. */
  take(key: string, now = Date.now()): number | null {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60) / this.perMinute));
  }

  reset(): void {
    this.buckets.clear();
  }
}

/** The process-wide limiter of the export API. */
export const apiRateLimiter = new RateLimiter();

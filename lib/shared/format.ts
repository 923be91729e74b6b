// The one set of number formatters for pages and reports: shares as percentages, seconds as a
// duration, and numbers with a fixed precision. "—" stands for a missing value everywhere.

const missing = (x: number | null | undefined): x is null | undefined =>
  x === null || x === undefined || Number.isNaN(x);

/** A share 0..1 as "12.3 %" (`digits` after the point; 0 for counts of people), "—" if missing. */
export function pct(x: number | null | undefined, digits = 1): string {
  return missing(x) ? "—" : `${(x * 100).toFixed(digits)} %`;
}

/** A number with `digits` after the point, integers as they are; "—" if missing. */
export function num(x: number | null | undefined, digits = 4): string {
  return missing(x) ? "—" : Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

/** "45 s", "3 min 20 s", "2 h 5 min". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * A number as a form shows it and as people type it: small magnitudes in exponent form ("1e-5",
 * "2e-4"), others as plain decimals ("0.7", "4096"). Every number field on every page uses it, so
 * a learning rate reads the same on the Jobs page and on a round's page.
 */
export function numberText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3)
    return x
      .toExponential()
      .replace(/\.?0*e/, "e")
      .replace("e+", "e");
  return String(Number(x.toPrecision(12)));
}

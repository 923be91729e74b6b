// The loop report's charts: plain SVG, rendered to PNG by Debian's Chromium through Playwright
// (the same browser the e2e tests use; nothing is downloaded).
import { chromium } from "playwright";

const W = 760;
const H = 380;
const M = { left: 60, right: 20, top: 44, bottom: 70 };
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function frame(title: string, body: string, yLabel: string): string {
  const ph = H - M.top - M.bottom;
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1]
    .map((v) => {
      const y = M.top + ph * (1 - v);
      return (
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>` +
        `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end" font-size="11" fill="#374151">${Math.round(v * 100)} %</text>`
      );
    })
    .join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold" fill="#111827">${esc(title)}</text>` +
    grid +
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#374151">${esc(yLabel)}</text>` +
    body +
    `</svg>`
  );
}

function legend(names: string[]): string {
  // Rows of entries that wrap at the right edge, under the x labels.
  let x = M.left;
  let y = H - 34;
  return names
    .map((n, i) => {
      const w = 24 + n.length * 6.4;
      if (x + w > W - M.right && x > M.left) {
        x = M.left;
        y += 16;
      }
      const s =
        `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>` +
        `<text x="${x + 16}" y="${y}" font-size="11" fill="#111827">${esc(n)}</text>`;
      x += w;
      return s;
    })
    .join("");
}

const yOf = (v: number) => M.top + (H - M.top - M.bottom) * (1 - Math.max(0, Math.min(1, v)));

/** Grouped bars: groups on the x axis, one bar per series; values in [0, 1] or null. */
export function barChart(args: {
  title: string;
  yLabel: string;
  groups: string[];
  series: { name: string; values: (number | null)[]; ci?: ([number, number] | null)[] }[];
  refLines?: { value: number; label: string }[];
}): string {
  const pw = W - M.left - M.right;
  const gw = pw / args.groups.length;
  const bw = Math.min(28, (gw * 0.8) / Math.max(1, args.series.length));
  let body = "";
  args.groups.forEach((g, gi) => {
    const x0 = M.left + gi * gw + (gw - bw * args.series.length) / 2;
    args.series.forEach((s, si) => {
      const v = s.values[gi];
      const x = x0 + si * bw;
      if (v === null || v === undefined) return;
      body += `<rect x="${x + 1}" y="${yOf(v)}" width="${bw - 2}" height="${yOf(0) - yOf(v)}" fill="${PALETTE[si % PALETTE.length]}"/>`;
      const ci = s.ci?.[gi];
      if (ci)
        body +=
          `<line x1="${x + bw / 2}" x2="${x + bw / 2}" y1="${yOf(ci[0])}" y2="${yOf(ci[1])}" stroke="#111827"/>` +
          `<line x1="${x + bw / 2 - 4}" x2="${x + bw / 2 + 4}" y1="${yOf(ci[0])}" y2="${yOf(ci[0])}" stroke="#111827"/>` +
          `<line x1="${x + bw / 2 - 4}" x2="${x + bw / 2 + 4}" y1="${yOf(ci[1])}" y2="${yOf(ci[1])}" stroke="#111827"/>`;
      if (bw >= 20)
        body += `<text x="${x + bw / 2}" y="${yOf(v) - 3}" text-anchor="middle" font-size="9" fill="#111827">${Math.round(v * 100)}</text>`;
    });
    body += `<text x="${M.left + gi * gw + gw / 2}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11" fill="#111827">${esc(g)}</text>`;
  });
  for (const r of args.refLines ?? [])
    body +=
      `<line x1="${M.left}" x2="${W - M.right}" y1="${yOf(r.value)}" y2="${yOf(r.value)}" stroke="#6b7280" stroke-dasharray="5 4"/>` +
      `<text x="${W - M.right - 2}" y="${yOf(r.value) - 4}" text-anchor="end" font-size="10" fill="#6b7280">${esc(r.label)}</text>`;
  return frame(args.title, body + legend(args.series.map((s) => s.name)), args.yLabel);
}

/** Lines over x positions (rounds): values in [0, 1]. */
export function lineChart(args: {
  title: string;
  yLabel: string;
  xs: string[];
  series: { name: string; values: (number | null)[] }[];
}): string {
  const pw = W - M.left - M.right;
  const xOf = (i: number) => M.left + (pw * (i + 0.5)) / args.xs.length;
  let body = args.xs
    .map(
      (x, i) =>
        `<text x="${xOf(i)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11" fill="#111827">${esc(x)}</text>`,
    )
    .join("");
  args.series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    const pts = s.values
      .map((v, i) => (v === null ? null : ([xOf(i), yOf(v), v] as const)))
      .filter((p): p is readonly [number, number, number] => p !== null);
    body += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${p[0]},${p[1]}`).join(" ")}"/>`;
    for (const [x, y, v] of pts)
      body +=
        `<circle cx="${x}" cy="${y}" r="4" fill="${color}"/>` +
        `<text x="${x + 6}" y="${y - 6}" font-size="10" fill="${color}">${(v * 100).toFixed(1)}</text>`;
  });
  return frame(args.title, body + legend(args.series.map((s) => s.name)), args.yLabel);
}

/** Renders SVG documents to PNG files with the system Chromium. */
export async function renderPngs(charts: { svg: string; file: string }[]): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H } });
    for (const c of charts) {
      await page.setContent(`<html><body style="margin:0">${c.svg}</body></html>`);
      await page.locator("svg").screenshot({ path: c.file });
    }
  } finally {
    await browser.close();
  }
}

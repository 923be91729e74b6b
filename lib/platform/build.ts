// The web app's production build (.next), made again only when the sources changed since the last
// one: a stamp of git's view of the build's inputs (HEAD, which of them are modified, their diff)
// is kept next to the build. Shared by the start command and by everything that
// starts a platform of its own (the fault test, the load benchmark), so none of them runs a build
// of other code than the checkout's.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runToEnd } from "./services";

/** What the build reads: a change elsewhere (docs, screenshots, tests) does not call for one. */
const INPUTS = [
  "app",
  "lib",
  "next.config.js",
  "proxy.ts",
  "instrumentation.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
];

async function treeStamp(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const git = (args: string[]) => runToEnd("git", "git", ["-C", root, ...args], env, () => {});
  try {
    const head = await git(["rev-parse", "HEAD"]);
    const changed = await git(["status", "--porcelain", "--untracked-files=no", "--", ...INPUTS]);
    const diff = (await git(["diff", "HEAD", "--", ...INPUTS])).join("\n");
    return [...head, ...changed, String(diff.length), diff.slice(0, 2000)].join("\n");
  } catch {
    return `no-git-${Date.now()}`; // not a git checkout: always build
  }
}

/**
 * Builds the web app in `root` unless its build matches the sources — or, with `onlyIfMissing`,
 * unless a build exists at all (a platform started beside a server of the same build must not
 * rebuild it under that server). `announce` is called just before a build starts. Every build
 * leaves its stamp. -> true when it built.
 */
export async function buildIfChanged(
  root: string,
  env: NodeJS.ProcessEnv,
  opts: { log: (line: string) => void; announce?: () => void; onlyIfMissing?: boolean },
): Promise<boolean> {
  const stampFile = path.join(root, ".next", "pairwise-build-stamp");
  const built = existsSync(path.join(root, ".next", "BUILD_ID"));
  if (built && opts.onlyIfMissing) return false;
  const stamp = await treeStamp(root, env);
  if (built && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return false;
  opts.announce?.();
  await runToEnd(
    "build",
    path.join(root, "node_modules/.bin/next"),
    ["build", root],
    env,
    opts.log,
  );
  writeFileSync(stampFile, stamp);
  return true;
}

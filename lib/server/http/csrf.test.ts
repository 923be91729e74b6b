import { describe, expect, it } from "vitest";
import { crossSiteRefusal } from "@/lib/server/http/csrf";

const URL_ = "http://127.0.0.1:3000";
const post = (headers: Record<string, string>) =>
  new Request(`${URL_}/api/trpc/jobs.trainRewardModels`, { method: "POST", headers });

describe("crossSiteRefusal", () => {
  it("lets a JSON request from the site itself, or from a non-browser client, through", () => {
    expect(crossSiteRefusal(post({ "content-type": "application/json", origin: URL_ }), URL_)).toBe(
      null,
    );
    expect(
      crossSiteRefusal(post({ "content-type": "application/json; charset=utf-8" }), URL_),
    ).toBe(null);
  });

  it("refuses a foreign or null Origin, and a same-site page on another port", () => {
    for (const origin of ["http://127.0.0.1:3001", "http://evil.example", "null", "x"])
      expect(
        crossSiteRefusal(post({ "content-type": "application/json", origin }), URL_)?.status,
      ).toBe(403);
    expect(
      crossSiteRefusal(
        post({ "content-type": "application/json", "sec-fetch-site": "same-site" }),
        URL_,
      )?.status,
    ).toBe(403);
  });

  it("refuses bodies a page can send without a preflight", () => {
    for (const type of [
      "multipart/form-data; boundary=x",
      "text/plain",
      "application/x-www-form-urlencoded",
      "",
    ])
      expect(crossSiteRefusal(post(type ? { "content-type": type } : {}), URL_)?.status).toBe(415);
  });
});

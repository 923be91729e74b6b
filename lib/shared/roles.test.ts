import { describe, expect, it } from "vitest";
import { hasRole, homePath } from "@/lib/shared/roles";
import { ZCreateUser, ZSignIn } from "@/lib/shared/users";

describe("roles", () => {
  it("nests admin ⊇ reviewer ⊇ annotator and gives unknown roles nothing", () => {
    expect(hasRole("admin", "reviewer")).toBe(true);
    expect(hasRole("reviewer", "annotator")).toBe(true);
    expect(hasRole("reviewer", "admin")).toBe(false);
    expect(hasRole("annotator", "reviewer")).toBe(false);
    expect(hasRole("superuser", "annotator")).toBe(false);
    expect(hasRole(null, "annotator")).toBe(false);
  });
  it("sends reviewers and admins to the admin home, annotators to the workspace", () => {
    expect(homePath("admin")).toBe("/admin");
    expect(homePath("reviewer")).toBe("/admin");
    expect(homePath("annotator")).toBe("/annotate");
  });
});

describe("account input", () => {
  it("normalises emails and names each problem", () => {
    expect(ZSignIn.parse({ email: "  A@B.co ", password: "x" }).email).toBe("a@b.co");
    const bad = ZCreateUser.safeParse({
      name: "x".repeat(101),
      email: "a".repeat(300),
      password: "p".repeat(129),
      role: "root",
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        "name: Name is too long (at most 100 characters)",
        "email: Email is too long (at most 254 characters)",
        "password: Password is too long (at most 128 characters)",
      ]),
    );
    expect(messages.some((m) => m.startsWith("role:"))).toBe(true);
  });
});

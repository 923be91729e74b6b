import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldLabel, installHumanZodMessages, issuesMessage, metricLabel } from "./messages";

installHumanZodMessages();

const messageOf = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error("expected a refusal");
  return issuesMessage(parsed.error.issues);
};

describe("messages people read", () => {
  it("turns zod issues into sentences naming the field", () => {
    const schema = z.object({
      reason: z.string().min(1),
      variants: z.array(z.object({ maxTokens: z.number().int().min(1).max(4096) })),
      email: z.email(),
      axis: z.enum(["helpfulness", "safety"]),
    });
    const text = messageOf(schema, {
      reason: "",
      variants: [{ maxTokens: 0 }],
      email: "x",
      axis: "other",
    });
    expect(text).toContain("Reason: must not be empty");
    expect(text).toContain("Variants #1 › max tokens: must be at least 1");
    expect(text).toContain("Email: must be an email address");
    expect(text).toContain("And 1 more problem");
    expect(text).not.toMatch(/Too small|expected number|>=|\[|\{/);
    expect(messageOf(schema.pick({ axis: true }), { axis: "x" })).toBe(
      "Axis: must be one of: helpfulness, safety",
    );
    expect(messageOf(z.object({ n: z.number() }), {})).toBe("N: is required");
  });

  it("keeps a schema's own message", () => {
    const schema = z.object({ name: z.string().min(1, "Name the round") });
    expect(messageOf(schema, { name: "" })).toBe("Name the round");
  });

  it("names fields and metrics in words", () => {
    expect(fieldLabel(["config", "minAnnotationsPerAxis"])).toBe(
      "Config › min annotations per axis",
    );
    expect(metricLabel("mean_reward")).toBe("mean reward");
    expect(metricLabel("clipFraction")).toBe("clip fraction");
  });
});

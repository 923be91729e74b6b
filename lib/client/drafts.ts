"use client";
// Drafts in localStorage, so nothing typed is lost on skip, reload or a failed request.
import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useRef, useState } from "react";

const PREFIX = "pairwise:draft:";

export function readDraft<T>(key: string): T | null {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function writeDraft(key: string, value: unknown) {
  try {
    window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the draft lives in memory only.
  }
}

export function clearDraft(key: string) {
  try {
    window.localStorage.removeItem(PREFIX + key);
  } catch {
    // Nothing to clear.
  }
}

/**
 * useState that mirrors itself into a draft under `key`, restored when the component mounts.
 * Only for components rendered in the browser (the workspace renders them after its client-side
 * query resolves); give the component `key={…}` so a new item mounts a fresh draft.
 */
export function useDraft<T>(
  key: string,
  makeInitial: () => T,
): [T, (v: T | ((prev: T) => T)) => void, () => void] {
  const [value, setValue] = useState<T>(() => readDraft<T>(key) ?? makeInitial());
  const initialRef = useRef(makeInitial);
  useEffect(() => {
    writeDraft(key, value);
  }, [key, value]);
  const reset = useCallback(() => {
    clearDraft(key);
    setValue(initialRef.current());
  }, [key]);
  return [value, setValue, reset];
}

/** A fresh idempotency key for a draft: one per draft, so retries and double submits are one. */
export function newDraftKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random()}`;
}

/** Why submitting a draft failed, for the person: the server's message (fields named), else
 * that the server was not reached and the draft (`what`: "label", "demonstration") is kept. */
export function describeSubmitError(e: unknown, what: string): string {
  // The server's message already names each field in words (lib/shared/messages.ts).
  if (e instanceof TRPCClientError) return e.message;
  return `Could not reach the server. Your ${what} is kept; try again.`;
}

"use client";
// Streams the two responses of a comparison from /api/comparisons/{id}/stream (server-sent
// events). The server generates them through the engine once and stores them; reconnecting after
// they are stored replays the finished texts.
import { useCallback, useEffect, useRef, useState } from "react";
import { ZPairEvent } from "@/lib/shared/pair-stream";

export type TPairStream = {
  left: string;
  right: string;
  /** dropped: the responses stayed identical after resampling and the item was set aside. */
  state: "idle" | "streaming" | "done" | "error" | "dropped";
  error: string | null;
  /** While the engine is busy and the server retries: "the model is busy, retrying". */
  notice: string | null;
  retry: () => void;
};

export function usePairStream(
  comparisonId: string,
  initial: { left: string; right: string; ready: boolean },
  onDone?: () => void,
): TPairStream {
  const [left, setLeft] = useState(initial.left);
  const [right, setRight] = useState(initial.right);
  const [state, setState] = useState<TPairStream["state"]>(initial.ready ? "done" : "idle");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(initial.ready ? -1 : 0);
  const onDoneRef = useRef(onDone);
  useEffect(() => {
    onDoneRef.current = onDone;
  }, [onDone]);

  useEffect(() => {
    if (attempt < 0) return;
    const source = new EventSource(`/api/comparisons/${comparisonId}/stream?attempt=${attempt}`);
    let finished = false;
    source.onopen = () => {
      setState("streaming");
      setError(null);
    };
    source.onmessage = (message) => {
      const parsed = ZPairEvent.safeParse(JSON.parse(message.data as string));
      if (!parsed.success) return;
      const event = parsed.data;
      setNotice(event.type === "busy" ? event.message : null);
      if (event.type === "busy") {
        // the server retries the engine by itself; keep streaming
      } else if (event.type === "reset") {
        setLeft("");
        setRight("");
      } else if (event.type === "replace") {
        if (event.side === "left") setLeft("");
        else setRight("");
        setNotice("Both responses were the same; sampling another one…");
      } else if (event.type === "delta") {
        if (event.side === "left") setLeft((t) => t + event.text);
        else setRight((t) => t + event.text);
      } else if (event.type === "done") {
        finished = true;
        setLeft(event.left);
        setRight(event.right);
        setState("done");
        source.close();
        onDoneRef.current?.();
      } else {
        finished = true;
        setError(event.message);
        setState(event.type === "dropped" ? "dropped" : "error");
        source.close();
      }
    };
    source.onerror = () => {
      if (finished) return;
      finished = true;
      source.close();
      setError("Lost the connection to the server while the responses were generated.");
      setState("error");
    };
    return () => source.close();
  }, [comparisonId, attempt]);

  const retry = useCallback(() => setAttempt((a) => Math.max(a, 0) + 1), []);
  return { left, right, state, error, notice, retry };
}

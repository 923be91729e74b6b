import "server-only";
// COPY (query) TO STDOUT (FORMAT binary) through a pg client, read as bytes: no row is turned into
// JavaScript strings, so an export's text never enters the JavaScript heap (pg hands each CopyData
// message over as a slice of the socket's buffer). The binary format frames each field with its
// length and leaves its bytes as they are (a text column is its UTF-8), where the text and CSV
// formats would escape the JSON's backslashes and quotes.
//
// Backpressure: the socket is paused while more than COPY_BUFFER_BYTES wait for the consumer, so
// PostgreSQL never runs ahead of the client by more than that (and the kernel's socket buffers).
import type pg from "pg";

/** Bytes of CopyData waiting for the consumer before the socket is paused. */
const COPY_BUFFER_BYTES = 256 * 1024;

type TConnection = { stream: { pause(): void; resume(): void } };

/**
 * The submittable pg runs for a COPY TO: it collects the CopyData payloads (one per row) and
 * hands them over in batches. Method names are pg's Submittable interface (pg-cursor and
 * pg-copy-streams implement the same one).
 */
class CopyOut {
  private payloads: Buffer[] = [];
  private bytes = 0;
  private paused = false;
  private connection: TConnection | null = null;
  private wake: (() => void) | null = null;
  error: Error | null = null;
  done = false;

  constructor(readonly text: string) {}

  submit(connection: TConnection & { query(text: string): void }): void {
    this.connection = connection;
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.payloads.push(msg.chunk);
    this.bytes += msg.chunk.length;
    if (this.bytes > COPY_BUFFER_BYTES && !this.paused) {
      this.paused = true;
      this.connection?.stream.pause();
    }
    this.notify();
  }

  handleError(error: Error): void {
    this.error = error;
    this.notify();
  }

  handleReadyForQuery(): void {
    this.done = true;
    this.notify();
  }

  // Nothing to do for these (a COPY sends none of them, or nothing that matters here).
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The payloads that arrived since the last call (waiting for some), or null at the end. */
  async take(): Promise<Buffer[] | null> {
    while (this.payloads.length === 0 && !this.done && !this.error)
      await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.error) throw this.error;
    if (this.payloads.length === 0) return null;
    const out = this.payloads;
    this.payloads = [];
    this.bytes = 0;
    if (this.paused) {
      this.paused = false;
      this.connection?.stream.resume();
    }
    return out;
  }
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * The rows of `sql` (COPY … TO STDOUT (FORMAT binary)) on `client`, each as its fields' bytes
 * (null for NULL),
 * in batches (the payloads that arrived together). If the caller stops before the end (or this
 * throws), the COPY is still running on `client`: close it (release(true)), never reuse it.
 */
export async function* copyOutRows(
  client: pg.ClientBase,
  sql: string,
): AsyncGenerator<(Buffer | null)[][], void, undefined> {
  const copy = new CopyOut(sql);
  // A Submittable: pg returns it and drives it by the handle* methods above.
  (client as unknown as { query(q: unknown): unknown }).query(copy);
  let carry: Buffer | null = null;
  let header = false;
  let ended = false;
  for (;;) {
    const payloads = await copy.take();
    if (!payloads) break;
    const rows: (Buffer | null)[][] = [];
    for (let buf of payloads) {
      // PostgreSQL sends one message per row (the file header with the first), so a carry over
      // from one message to the next does not happen in practice; handled all the same.
      if (carry) {
        buf = Buffer.concat([carry, buf]);
        carry = null;
      }
      let i = 0;
      if (!header) {
        if (buf.length < 19) {
          carry = buf;
          continue;
        }
        if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error("COPY: not a binary COPY");
        const extension = buf.readInt32BE(15);
        if (buf.length < 19 + extension) {
          carry = buf;
          continue;
        }
        i = 19 + extension;
        header = true;
      }
      while (i + 2 <= buf.length) {
        const n = buf.readInt16BE(i);
        if (n === -1) {
          ended = true;
          i += 2;
          break;
        }
        const fields = new Array<Buffer | null>(n);
        let j = i + 2;
        let complete = true;
        for (let f = 0; f < n; f++) {
          if (j + 4 > buf.length) {
            complete = false;
            break;
          }
          const length = buf.readInt32BE(j);
          j += 4;
          if (length === -1) {
            fields[f] = null;
            continue;
          }
          if (j + length > buf.length) {
            complete = false;
            break;
          }
          fields[f] = buf.subarray(j, j + length);
          j += length;
        }
        if (!complete) break;
        rows.push(fields);
        i = j;
      }
      if (i < buf.length && !ended) carry = buf.subarray(i);
    }
    if (rows.length) yield rows;
  }
  if (!ended || carry) throw new Error("COPY: the data ended before its trailer");
}

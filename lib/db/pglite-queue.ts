// The order in which the embedded server feeds client messages to PGlite, its one backend.
//
// pglite-socket 0.1.3 queues every protocol message of every connection in one FIFO and keeps a
// connection to itself only while a transaction is open. Outside a transaction, the extended-query
// messages of two clients interleave (A: Parse, B: Parse, A: Bind …), so one client binds the
// other's unnamed statement — "unnamed prepared statement does not exist" under load, or the
// wrong statement run. It also never clears its busy flag when a message throws, which stalls
// every later query. This queue keeps a connection to itself from its first extended-query
// message to its Sync, and for the whole of a transaction, and survives a failing message.
import type { PGlite } from "@electric-sql/pglite";

type TItem = {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
};

// Frontend message types (first byte) of the extended-query protocol, up to its Sync.
const PARSE = 0x50; // P
const BIND = 0x42; // B
const DESCRIBE = 0x44; // D
const EXECUTE = 0x45; // E
const CLOSE = 0x43; // C
const FLUSH = 0x48; // H
const EXTENDED = new Set([PARSE, BIND, DESCRIBE, EXECUTE, CLOSE, FLUSH]);

export class ProtocolAwareQueue {
  private queue: TItem[] = [];
  private processing = false;
  /** The connection whose extended-query cycle or transaction is open; only it may go next. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** A connection went away: drop what it queued and release the backend if it held it. */
  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error("Handler disconnected"));
      return false;
    });
    if (this.owner === handlerId && !this.db.isInTransaction()) {
      this.owner = null;
      void this.process();
    }
  }

  /** A connection went away inside its transaction: roll it back so others can go on. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.owner = null;
    await this.process();
  }

  private next(): TItem | undefined {
    if (this.owner === null) return this.queue.shift();
    const i = this.queue.findIndex((item) => item.handlerId === this.owner);
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        this.owner = this.nextOwner(item);
      }
    } finally {
      this.processing = false;
    }
  }

  private nextOwner(item: TItem): number | null {
    const type = item.message[0] ?? 0;
    if (this.db.isInTransaction()) return item.handlerId;
    if (EXTENDED.has(type)) return item.handlerId;
    // Sync or Terminate end the cycle; a simple query or a startup message opens none.
    return null;
  }
}

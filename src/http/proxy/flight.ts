/** The start of an upstream answer: what every client of a flight receives first. */
export interface FlightHead {
  readonly status: number;
  readonly headers: Headers;
}

/** One client of a flight: handed the body's pieces as they arrive. */
export interface FlightClient {
  chunk(bytes: Uint8Array): void;
  end(): void;
  fail(error: Error): void;
}

/**
 * One upstream exchange shared by every client that asked the same question at the same time
 * (singleflight). The flight reads the upstream on its own, not on behalf of any one client:
 * a client that joins late is first handed what has arrived, then the rest live; a client
 * that leaves does not stop the others. When the last client leaves before the end, the
 * upstream call is aborted and `abandoned` is set, so nothing half-read is stored.
 *
 * Memory: the body is kept while the flight runs (late joiners replay it) up to `keepBytes`;
 * past that it is dropped, `overflowed` is set, and the flight must take no new clients.
 */
export class Flight<Result = unknown> {
  readonly controller = new AbortController();
  private readonly clients = new Set<FlightClient>();
  private kept: Uint8Array[] | null = [];
  private bytes = 0;
  private headValue: FlightHead | null = null;
  private readonly headWaiters: ((head: FlightHead | Error) => void)[] = [];
  private outcome: "running" | "ended" | Error = "running";
  abandoned = false;
  /** The whole answer has arrived (its terminal event was seen): clients leaving no longer abort. */
  private complete = false;
  /** What the driver concluded, set when the body ended. */
  result: Result | null = null;

  constructor(private readonly keepBytes: number) {}

  get overflowed(): boolean {
    return this.kept === null;
  }

  /** The upstream's status and headers, or the error that came first. */
  head(): Promise<FlightHead | Error> {
    if (this.headValue !== null) return Promise.resolve(this.headValue);
    if (this.outcome instanceof Error) return Promise.resolve(this.outcome);
    return new Promise((resolve) => this.headWaiters.push(resolve));
  }

  /** Adds a client: replays what has arrived, then follows. Returns the function that removes it. */
  join(client: FlightClient): () => void {
    if (this.kept !== null) for (const bytes of this.kept) client.chunk(bytes);
    if (this.outcome === "ended") client.end();
    else if (this.outcome instanceof Error) client.fail(this.outcome);
    else this.clients.add(client);
    return () => this.leave(client);
  }

  setHead(head: FlightHead): void {
    this.headValue = head;
    for (const resolve of this.headWaiters.splice(0)) resolve(head);
  }

  push(bytes: Uint8Array): void {
    this.bytes += bytes.byteLength;
    if (this.kept !== null) {
      if (this.bytes > this.keepBytes) this.kept = null;
      else this.kept.push(bytes);
    }
    for (const client of this.clients) client.chunk(bytes);
  }

  /**
   * The answer is whole although the upstream has not closed its body yet. An SDK that stops
   * reading at the terminal event (the OpenAI SDK at `data: [DONE]`) must not cut it off.
   */
  markComplete(): void {
    this.complete = true;
  }

  /** The whole body, or null when it passed `keepBytes`. */
  body(): Uint8Array | null {
    if (this.kept === null) return null;
    return this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept);
  }

  end(result: Result): void {
    if (this.outcome !== "running") return;
    this.result = result;
    this.outcome = "ended";
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  fail(error: Error): void {
    if (this.outcome !== "running") return;
    this.outcome = error;
    for (const resolve of this.headWaiters.splice(0)) resolve(error);
    for (const client of this.clients) client.fail(error);
    this.clients.clear();
  }

  private leave(client: FlightClient): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0 && this.outcome === "running" && !this.complete) {
      // Nobody waits for the rest: stop paying for it, and never store a cut-off answer.
      this.abandoned = true;
      this.controller.abort(new Error("every client of this upstream call went away"));
    }
  }
}

/**
 * The flights in progress on this sidecar, by cache key: a request that finds one joins it
 * instead of calling the upstream. A flight stays listed until its answer is stored, so a
 * request arriving between the upstream's last byte and the cache write still finds it.
 */
export class FlightTable<Result> {
  private readonly flights = new Map<string, Flight<Result>>();

  /** A flight a new client may join: running, and still holding its whole body. */
  joinable(key: string): Flight<Result> | null {
    const flight = this.flights.get(key);
    if (flight === undefined || flight.overflowed || flight.abandoned) return null;
    return flight;
  }

  add(key: string, flight: Flight<Result>): void {
    this.flights.set(key, flight);
  }

  /** Removes the flight, unless another has since taken its key. */
  remove(key: string, flight: Flight<Result>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }
}

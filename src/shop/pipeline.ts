/**
 * A simulated database connection that pipelines: callers send queries without waiting, and
 * replies arrive in the order the queries were sent, each `latencyMs` later. Like Redis or
 * Postgres pipelining, the connection does not know which caller a reply is for: the next
 * reader simply takes the next reply. That is exactly what makes an unread reply dangerous.
 */
export class PipelinedConnection<Query, Reply> {
  readonly #latencyMs: number;
  readonly #answer: (query: Query) => Reply;
  /** Replies that arrived before anyone read them. */
  readonly #unread: Reply[] = [];
  /** Readers waiting for a reply, in the order they started reading. */
  readonly #readers: ((reply: Reply) => void)[] = [];

  constructor(latencyMs: number, answer: (query: Query) => Reply) {
    this.#latencyMs = latencyMs;
    this.#answer = answer;
  }

  /** Sends a query; its reply joins the connection's reply stream after the latency. */
  send(query: Query): void {
    // Timers of equal duration fire in creation order, so replies keep the order of queries.
    setTimeout(() => this.#arrive(this.#answer(query)), this.#latencyMs);
  }

  /**
   * Takes the next reply off the connection. With `stopWaiting`, the reader gives up when the
   * signal aborts and resolves to undefined, leaving that reply for whoever reads next.
   */
  read(stopWaiting?: AbortSignal): Promise<Reply | undefined> {
    const unread = this.#unread.shift();
    if (unread !== undefined) return Promise.resolve(unread);
    return new Promise((resolve) => {
      const reader = (reply: Reply): void => {
        stopWaiting?.removeEventListener('abort', giveUp);
        resolve(reply);
      };
      const giveUp = (): void => {
        const index = this.#readers.indexOf(reader);
        if (index !== -1) this.#readers.splice(index, 1);
        resolve(undefined);
      };
      if (stopWaiting?.aborted) return giveUp();
      this.#readers.push(reader);
      stopWaiting?.addEventListener('abort', giveUp, { once: true });
    });
  }

  /** Sends a query and reads the next reply, which is this query's reply while nobody skips one. */
  query(query: Query, stopWaiting?: AbortSignal): Promise<Reply | undefined> {
    this.send(query);
    return this.read(stopWaiting);
  }

  #arrive(reply: Reply): void {
    const reader = this.#readers.shift();
    if (reader) reader(reply);
    else this.#unread.push(reply);
  }
}

import { isKind, type KindInfo } from './kinds.ts';
import { conflict, KubeError } from './status.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RequestRecord {
  verb: Verb;
  kind: KindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Every API request the fake answered, for tests that count calls by verb and kind. */
export class RequestLog {
  readonly all: RequestRecord[] = [];

  /** Requests with this verb (or any) on this kind (or any): "Deployment", "leases", ... */
  count(verb?: Verb, kind?: string): number {
    return this.all.filter((r) => (!verb || r.verb === verb) && (!kind || isKind(r.kind, kind)))
      .length;
  }

  reset(): void {
    this.all.length = 0;
  }
}

export interface FaultRule {
  /** Which requests fail; any verb or kind when left out. */
  verb?: Verb;
  kind?: string;
  subresource?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** 429, 500, 409, 503, ... answered with a Status body. */
  code?: number;
  /**
   * No answer at all: the request is held open until the client gives up (or the server
   * closes), as a stalled API server or a black-holed connection would. Nothing is applied.
   */
  hang?: boolean;
  message?: string;
  /** Sent as Retry-After with 429 and 503 (default 1). */
  retryAfterSeconds?: number;
}

export interface OpenWatch {
  kind: KindInfo;
  end(abrupt: boolean): void;
}

export class Faults {
  readonly #rules: (FaultRule & { left: number })[] = [];
  /** Open watch connections, registered by the watch handler. */
  readonly watches = new Set<OpenWatch>();
  /** Requests held open by a `hang` rule and not yet given up by their client. */
  held = 0;

  /** The next `times` requests matching verb, kind and subresource fail with `code`. */
  fail(rule: FaultRule): void {
    this.#rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /**
   * Ends open watches (all, or one kind's), as an API server restart or a load balancer
   * would. Clients see the stream end; `abrupt` resets the connection instead.
   */
  dropWatches(options: { kind?: string; abrupt?: boolean } = {}): number {
    const dropped = [...this.watches].filter((w) => !options.kind || isKind(w.kind, options.kind));
    for (const watch of dropped) watch.end(options.abrupt ?? false);
    return dropped.length;
  }

  /** The injected failure for this request, if a rule matches (and is used up by it). */
  take(request: RequestRecord): KubeError | 'hang' | undefined {
    const rule = this.#rules.find(
      (r) =>
        r.left > 0 &&
        (!r.verb || r.verb === request.verb) &&
        (!r.kind || isKind(request.kind, r.kind)) &&
        (r.subresource === undefined || r.subresource === request.subresource),
    );
    if (!rule) return undefined;
    rule.left -= 1;
    if (rule.hang) return 'hang';
    if (rule.code === undefined) throw new Error('fake-kube: a fault needs a code or hang');
    if (rule.code === 409 && !rule.message && request.name)
      return conflict(request.kind, request.name);
    const retry = rule.code === 429 || rule.code === 503;
    const seconds = rule.retryAfterSeconds ?? 1;
    return new KubeError(rule.code, rule.message ?? `injected fault (${rule.code})`, {
      ...(retry
        ? { headers: { 'Retry-After': String(seconds) }, details: { retryAfterSeconds: seconds } }
        : {}),
    });
  }
}

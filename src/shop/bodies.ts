import { type PersonalEndpoint, personalDocument } from './documents.ts';
import type { ShopUser } from './users.ts';

/** A response body as buffers written one after another, so padding is never copied. */
export interface Body {
  chunks: readonly Buffer[];
  length: number;
}

export function bodyOf(text: string): Body {
  const chunk = Buffer.from(text);
  return { chunks: [chunk], length: chunk.length };
}

/**
 * Renders personal bodies once per account and endpoint, and reuses them: a body depends only
 * on the account, and serialising per request would cost the throughput the benchmarks need.
 * With padding, a `pad` field fills each body to about `padBytes`, sharing one filler buffer.
 */
export class PersonalBodies {
  readonly #filler: Buffer;
  readonly #rendered = new Map<string, Body>();
  readonly #owners = new WeakMap<Body, ShopUser>();

  constructor(padBytes: number) {
    this.#filler = Buffer.alloc(Math.max(0, Math.floor(padBytes)), 'x');
  }

  get(endpoint: PersonalEndpoint, account: ShopUser): Body {
    const key = `${endpoint} ${account.id}`;
    let body = this.#rendered.get(key);
    if (!body) {
      body = this.#render(JSON.stringify(personalDocument(endpoint, account)));
      this.#rendered.set(key, body);
      this.#owners.set(body, account);
    }
    return body;
  }

  /** The account whose data a body rendered here holds, however it travelled since. */
  ownerOf(body: Body): ShopUser | undefined {
    return this.#owners.get(body);
  }

  #render(json: string): Body {
    const head = Buffer.from(`${json.slice(0, -1)},"pad":"`);
    const tail = Buffer.from('"}');
    const padLength = this.#filler.length - head.length - tail.length;
    if (padLength <= 0) return bodyOf(json);
    const pad = this.#filler.subarray(0, padLength);
    return { chunks: [head, pad, tail], length: head.length + pad.length + tail.length };
  }
}

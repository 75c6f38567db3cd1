/**
 * Reads the value at a JSON pointer from a body as it streams in, without building the
 * document: memory grows with nesting depth, not body size, so a 1 MiB identity response
 * costs no more than a 100-byte one. Only strings and numbers count as identities.
 */

export type PointerResult = { value: string } | { missing: string };

const S = {
  value: 0, // expecting a value
  keyOrEnd: 1, // after '{': a key or '}'
  key: 2, // expecting a key (after ',')
  colon: 3,
  afterValue: 4, // expecting ',' or a closing bracket
  string: 5,
  escape: 6,
  scalar: 7, // number, true, false, null
  done: 8,
} as const;
type State = (typeof S)[keyof typeof S];

interface Frame {
  array: boolean;
  /** Current key (objects) or index (arrays); undefined before the first member. */
  at: string | number | undefined;
  /** Whether this container sits on the pointer's path. */
  onPath: boolean;
}

export class PointerReader {
  readonly #tokens: string[];
  #state: State = S.value;
  readonly #stack: Frame[] = [];
  /** What the string being read is for. */
  #stringRole: 'key' | 'capture' | 'skip' = 'skip';
  #buffer: number[] = [];
  #scalar = '';
  #captureScalar = false;
  #result: PointerResult | undefined;
  #error: string | undefined;

  constructor(pointer: string) {
    this.#tokens =
      pointer === ''
        ? []
        : pointer
            .slice(1)
            .split('/')
            .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  }

  write(chunk: Uint8Array): void {
    if (this.#error || this.#state === S.done) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      switch (this.#state) {
        case S.string: {
          // Fast path through long strings nobody needs (padding, descriptions).
          if (this.#stringRole === 'skip') {
            while (i < chunk.length && chunk[i] !== 0x22 && chunk[i] !== 0x5c) i++;
            if (i === chunk.length) return;
          }
          const b = chunk[i] as number;
          if (b === 0x5c) {
            if (this.#stringRole !== 'skip') this.#buffer.push(b);
            this.#state = S.escape;
          } else if (b === 0x22) this.#endString();
          else this.#buffer.push(b);
          break;
        }
        case S.escape:
          if (this.#stringRole !== 'skip') this.#buffer.push(byte);
          this.#state = S.string;
          break;
        case S.scalar:
          if (isDelimiter(byte)) {
            this.#endScalar();
            i--; // the delimiter belongs to the container
          } else this.#scalar += String.fromCharCode(byte);
          break;
        default:
          if (!isSpace(byte)) this.#structural(byte);
      }
      if (this.#error) return;
    }
  }

  /** The value at the pointer, or why there is none. */
  end(): PointerResult {
    if (this.#state === S.scalar && this.#stack.length === 0) this.#endScalar();
    if (this.#error) return { missing: this.#error };
    // A document cut short proves nothing, even when the value was already seen.
    if (this.#state !== S.done) return { missing: 'identity response is not JSON (cut short)' };
    if (this.#result) return this.#result;
    return { missing: `identity response has nothing at ${this.#pointerText()}` };
  }

  #pointerText(): string {
    return this.#tokens.length === 0 ? '(the whole body)' : `/${this.#tokens.join('/')}`;
  }

  #fail(why: string): void {
    this.#error = why;
  }

  /** Whether a value starting now is the one the pointer names, or on the way to it. */
  #valueDepthMatch(): { onPath: boolean; target: boolean } {
    const parent = this.#stack[this.#stack.length - 1];
    if (!parent) return { onPath: true, target: this.#tokens.length === 0 };
    const depth = this.#stack.length;
    const onPath =
      parent.onPath &&
      depth <= this.#tokens.length &&
      String(parent.at) === this.#tokens[depth - 1];
    return { onPath, target: onPath && depth === this.#tokens.length };
  }

  #structural(byte: number): void {
    const state = this.#state;
    if (state === S.value) {
      this.#startValue(byte);
      return;
    }
    if (state === S.keyOrEnd && byte === 0x7d) {
      this.#close(false);
      return;
    }
    if (state === S.keyOrEnd || state === S.key) {
      if (byte !== 0x22) {
        this.#fail('identity response is not JSON (expected a key)');
        return;
      }
      this.#stringRole = 'key';
      this.#buffer = [];
      this.#state = S.string;
      return;
    }
    if (state === S.colon) {
      if (byte !== 0x3a) {
        this.#fail('identity response is not JSON (expected ":")');
        return;
      }
      this.#state = S.value;
      return;
    }
    if (state === S.afterValue) {
      const top = this.#stack[this.#stack.length - 1];
      if (!top) {
        this.#fail('identity response is not JSON (text after the end)');
        return;
      }
      if (byte === 0x2c) {
        if (top.array) top.at = (top.at as number) + 1;
        this.#state = top.array ? S.value : S.key;
        return;
      }
      if (byte === 0x5d && top.array) {
        this.#close(true);
        return;
      }
      if (byte === 0x7d && !top.array) {
        this.#close(false);
        return;
      }
      this.#fail('identity response is not JSON (expected "," or a closing bracket)');
      return;
    }
    if (state === S.done) {
      this.#fail('identity response is not JSON (text after the end)');
      return;
    }
  }

  #startValue(byte: number): void {
    const parent = this.#stack[this.#stack.length - 1];
    // An array that closes right after '[' has no value here.
    if (byte === 0x5d && parent?.array && parent.at === 0 && this.#emptyArrayPending) {
      this.#emptyArrayPending = false;
      this.#close(true);
      return;
    }
    this.#emptyArrayPending = false;
    const { onPath, target } = this.#valueDepthMatch();
    if (byte === 0x7b || byte === 0x5b) {
      if (target)
        this.#result = { missing: `identity at ${this.#pointerText()} is not a string or number` };
      const array = byte === 0x5b;
      this.#stack.push({ array, at: array ? 0 : undefined, onPath });
      this.#state = array ? S.value : S.keyOrEnd;
      this.#emptyArrayPending = array;
      return;
    }
    if (byte === 0x22) {
      this.#stringRole = target ? 'capture' : 'skip';
      this.#buffer = [];
      this.#state = S.string;
      return;
    }
    this.#captureScalar = target;
    this.#scalar = String.fromCharCode(byte);
    this.#state = S.scalar;
  }

  #emptyArrayPending = false;

  #endString(): void {
    const role = this.#stringRole;
    let text = '';
    if (role !== 'skip') {
      try {
        text = JSON.parse(`"${Buffer.from(this.#buffer).toString('utf8')}"`) as string;
      } catch {
        this.#fail('identity response is not JSON (bad string)');
        return;
      }
    }
    this.#buffer = [];
    if (role === 'key') {
      const top = this.#stack[this.#stack.length - 1];
      if (top) top.at = text;
      this.#state = S.colon;
      return;
    }
    if (role === 'capture') this.#result = { value: text };
    this.#afterValue();
  }

  #endScalar(): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#scalar);
    } catch {
      this.#fail('identity response is not JSON (bad literal)');
      return;
    }
    if (this.#captureScalar) {
      this.#result =
        typeof parsed === 'number'
          ? { value: String(parsed) }
          : { missing: `identity at ${this.#pointerText()} is not a string or number` };
    }
    this.#scalar = '';
    this.#afterValue();
  }

  #close(array: boolean): void {
    const top = this.#stack.pop();
    if (!top || top.array !== array) {
      this.#fail('identity response is not JSON (mismatched bracket)');
      return;
    }
    this.#afterValue();
  }

  #afterValue(): void {
    this.#state = this.#stack.length === 0 ? S.done : S.afterValue;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isDelimiter(b: number): boolean {
  return isSpace(b) || b === 0x2c || b === 0x7d || b === 0x5d;
}

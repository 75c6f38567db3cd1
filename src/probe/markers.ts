/**
 * The streaming multi-pattern matcher behind the foreign-marker check: every tenant's
 * markers (and their encoded forms) are compiled once into an Aho–Corasick automaton laid
 * out as a dense DFA, so a response body is checked for all of them in one pass over its
 * bytes, chunk by chunk, without ever turning the bytes into a string.
 */

export interface MarkerHit {
  /** Index of the pattern in the list given to compileMarkers(). */
  pattern: number;
  /** Byte offset in the stream where the match ends (exclusive): the first byte after it. */
  offset: number;
}

export interface MarkerScan {
  /** Feeds the next chunk; matches spanning chunk boundaries are found. */
  write(chunk: Uint8Array): void;
  /** First occurrence of each pattern found so far, in order found. */
  readonly hits: readonly MarkerHit[];
  /** Bytes fed so far. */
  readonly bytes: number;
}

export interface MarkerMatcher {
  readonly patternCount: number;
  /** Starts a streaming scan (one per response). Cheap: no large allocation per scan. */
  start(): MarkerScan;
  /** Convenience: scans one whole string or buffer. */
  scan(input: string | Uint8Array): MarkerHit[];
}

/**
 * Compiles patterns once; pattern i is reported as i. Matching is on UTF-8 bytes, ASCII
 * case-insensitive, and also finds each pattern's encoded forms (see markerVariants()).
 * Throws on an empty pattern, which would match everywhere.
 */
export function compileMarkers(patterns: readonly string[]): MarkerMatcher {
  const variants: Variant[] = [];
  patterns.forEach((pattern, index) => {
    if (pattern.length === 0) throw new RangeError(`marker pattern ${index} is empty`);
    for (const form of markerVariants(pattern)) {
      variants.push({ bytes: foldAscii(encoder.encode(form)), pattern: index });
    }
  });
  return new Matcher(patterns.length, buildAutomaton(variants));
}

/**
 * The forms in which a leaked string may show up in a response: as is, JSON-escaped,
 * percent-encoded (URLs, Location headers, form bodies) and HTML-escaped. Forms that equal
 * another up to ASCII case are dropped, since matching ignores ASCII case anyway (which is
 * also why upper- and lower-case hex in `\u00E4` or `%C3%A4` need no forms of their own).
 */
export function markerVariants(pattern: string): string[] {
  // A lone surrogate has no UTF-8 form (encodeURIComponent throws on one): look for the
  // U+FFFD that TextEncoder and servers put in its place.
  const raw = pattern.toWellFormed();
  const forms = new Map<string, string>();
  for (const form of [raw, ...jsonForms(raw), ...percentForms(raw), ...htmlForms(raw)]) {
    const key = asciiLower(form);
    if (!forms.has(key)) forms.set(key, form);
  }
  return [...forms.values()];
}

const encoder = new TextEncoder();

/** Row starts (`state << 8`) must fit an int32: far beyond any realistic marker list. */
const MAX_STATES = 1 << 23;

interface Variant {
  bytes: Uint8Array;
  pattern: number;
}

/**
 * The compiled automaton. A state is named by where its row starts in `next` (state number
 * × 256), so a step is one add and one load; entry `row + byte` is the state after that byte,
 * failure links already folded in, so scanning never backtracks. The root is 0.
 */
interface Automaton {
  next: Int32Array;
  /** 1 where a state (by number) ends at least one pattern: the only check made per byte. */
  hasOutput: Uint8Array;
  /** Patterns ending at state s (its own and its suffixes'): outList[outStart[s]..outStart[s+1]). */
  outStart: Int32Array;
  outList: Int32Array;
}

function buildAutomaton(variants: readonly Variant[]): Automaton {
  // 1. The trie, over lower-cased bytes.
  const children: number[][] = [[]]; // per state: byte, child, byte, child, ...
  const own: number[][] = [[]]; // per state: patterns whose variant ends exactly here
  for (const { bytes, pattern } of variants) {
    let state = 0;
    for (const byte of bytes) {
      const edges = children[state] as number[];
      let child = childOf(edges, byte);
      if (child < 0) {
        child = children.length;
        if (child >= MAX_STATES) throw new RangeError('marker patterns too large to compile');
        edges.push(byte, child);
        children.push([]);
        own.push([]);
      }
      state = child;
    }
    (own[state] as number[]).push(pattern);
  }

  // 2. Breadth-first: each state's row starts as a copy of its failure state's row (which,
  // being shallower, is complete), then its own trie edges override that copy.
  const states = children.length;
  const next = new Int32Array(states << 8);
  const fail = new Int32Array(states);
  const outputs: number[][] = new Array(states);
  outputs[0] = [];
  const queue = [0];
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const row = state << 8;
    const failRow = (fail[state] as number) << 8;
    if (state !== 0) next.copyWithin(row, failRow, failRow + 256);
    const edges = children[state] as number[];
    for (let e = 0; e < edges.length; e += 2) {
      const byte = edges[e] as number;
      const child = edges[e + 1] as number;
      // Before the override, next[row + byte] is where the failure state goes on this byte:
      // the longest proper suffix of child's string that is also in the trie.
      const failure = next[row + byte] as number;
      fail[child] = failure;
      next[row + byte] = child;
      outputs[child] = mergeOutputs(own[child] as number[], outputs[failure] as number[]);
      queue.push(child);
    }
  }

  // 3. Case folding lives in the table: an upper-case letter goes where its lower case goes.
  // Then state numbers become row starts.
  for (let row = 0; row < next.length; row += 256) {
    next.copyWithin(row + 0x41, row + 0x61, row + 0x7b);
  }
  for (let k = 0; k < next.length; k++) next[k] = (next[k] as number) << 8;

  const hasOutput = new Uint8Array(states);
  const outStart = new Int32Array(states + 1);
  let total = 0;
  for (let state = 0; state < states; state++) {
    const count = (outputs[state] as number[]).length;
    hasOutput[state] = count > 0 ? 1 : 0;
    outStart[state] = total;
    total += count;
  }
  outStart[states] = total;
  const outList = new Int32Array(total);
  for (let state = 0; state < states; state++) {
    outList.set(outputs[state] as number[], outStart[state]);
  }
  return { next, hasOutput, outStart, outList };
}

function childOf(edges: readonly number[], byte: number): number {
  for (let e = 0; e < edges.length; e += 2) {
    if (edges[e] === byte) return edges[e + 1] as number;
  }
  return -1;
}

/** Sorted, without duplicates: hits found at the same byte come out in pattern order. */
function mergeOutputs(own: readonly number[], inherited: readonly number[]): number[] {
  if (own.length === 0) return inherited as number[];
  return [...new Set([...own, ...inherited])].sort((a, b) => a - b);
}

class Matcher implements MarkerMatcher {
  readonly patternCount: number;
  private readonly automaton: Automaton;

  constructor(patternCount: number, automaton: Automaton) {
    this.patternCount = patternCount;
    this.automaton = automaton;
  }

  start(): MarkerScan {
    return new Scan(this.patternCount, this.automaton);
  }

  scan(input: string | Uint8Array): MarkerHit[] {
    const scan = new Scan(this.patternCount, this.automaton);
    scan.write(typeof input === 'string' ? encoder.encode(input) : input);
    return scan.hits;
  }
}

class Scan implements MarkerScan {
  readonly hits: MarkerHit[] = [];
  bytes = 0;
  /** Where the automaton is between chunks: the row start of the current state. */
  private row = 0;
  /** Which patterns were already reported; allocated on the first hit, as most scans have none. */
  private seen: Uint8Array | undefined;
  private readonly patternCount: number;
  private readonly automaton: Automaton;

  constructor(patternCount: number, automaton: Automaton) {
    this.patternCount = patternCount;
    this.automaton = automaton;
  }

  write(chunk: Uint8Array): void {
    // The hot loop: one table load and one flag test per byte, everything in locals.
    const { next, hasOutput } = this.automaton;
    const end = chunk.length;
    let row = this.row;
    let i = 0;
    while (i < end) {
      if (row === 0) {
        // At the root the next state depends on the byte alone, not on the state just loaded,
        // so the CPU can run ahead through these steps in parallel instead of waiting on each
        // load. Bodies spend most of their bytes here (two thirds in the benchmark's JSON).
        do row = next[chunk[i++] as number] as number;
        while (row === 0 && i < end);
      } else {
        row = next[row + (chunk[i++] as number)] as number;
      }
      if (hasOutput[row >>> 8] !== 0) this.record(row >>> 8, this.bytes + i);
    }
    this.row = row;
    this.bytes += end;
  }

  private record(state: number, offset: number): void {
    const { outStart, outList } = this.automaton;
    this.seen ??= new Uint8Array(this.patternCount);
    const seen = this.seen;
    const last = outStart[state + 1] as number;
    for (let k = outStart[state] as number; k < last; k++) {
      const pattern = outList[k] as number;
      if (seen[pattern] === 0) {
        seen[pattern] = 1;
        this.hits.push({ pattern, offset });
      }
    }
  }
}

/**
 * JSON string bodies as common serializers write them: as is (JSON.stringify), non-ASCII as
 * `\uXXXX` with surrogate pairs as two escapes (Python's ensure_ascii, Jackson's
 * ESCAPE_NON_ASCII), `/` as `\/` (PHP), and `<`, `>`, `&`, U+2028/9 as `\u003c`... (Go).
 */
function jsonForms(text: string): string[] {
  const plain = JSON.stringify(text).slice(1, -1); // `"`, `\` and control characters
  const forms: string[] = [];
  for (const htmlSafe of [false, true]) {
    for (const asciiOnly of [false, true]) {
      for (const slash of [false, true]) {
        let form = plain;
        if (htmlSafe) form = form.replace(/[<>&\u2028\u2029]/g, unicodeEscape);
        // Without the u flag, [...] matches UTF-16 code units: each surrogate on its own.
        if (asciiOnly) form = form.replace(/[\u0080-\uffff]/g, unicodeEscape);
        if (slash) form = form.replaceAll('/', '\\/');
        forms.push(form);
      }
    }
  }
  return forms;
}

function unicodeEscape(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Path segments and query values (encodeURIComponent), whole URLs (encodeURI), form bodies. */
function percentForms(text: string): string[] {
  const form = new URLSearchParams([['', text]]).toString().slice(1); // `+` for space
  return [encodeURIComponent(text), encodeURI(text), form];
}

/** Quote escapes differ by library: escape-html, React/Python, PHP, XML, Go, text-only. */
const HTML_QUOTES: readonly (readonly [string, string])[] = [
  ['&quot;', '&#39;'],
  ['&quot;', '&#x27;'],
  ['&quot;', '&#039;'],
  ['&quot;', '&apos;'],
  ['&#34;', '&#39;'],
  ['"', "'"],
];

function htmlForms(text: string): string[] {
  if (!/[&<>"']/.test(text)) return [];
  return HTML_QUOTES.map(([quot, apos]) =>
    text.replace(/[&<>"']/g, (c) => {
      if (c === '&') return '&amp;';
      if (c === '<') return '&lt;';
      if (c === '>') return '&gt;';
      return c === '"' ? quot : apos;
    }),
  );
}

/** Lower-cases A–Z only: non-ASCII letters are matched exactly, byte for byte. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

function foldAscii(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x41 && byte <= 0x5a) bytes[i] = byte | 0x20;
  }
  return bytes;
}

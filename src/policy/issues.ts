import type { z } from 'zod';

/**
 * Turns zod issues into problems a person can act on: what was expected, what was found,
 * and which YAML node to point at. Zod's own texts ("Invalid input") say neither.
 */

export type PathSegment = string | number;

/** Which node of the YAML file a problem points at. */
export type Anchor =
  | 'value' // the value at `path`
  | 'key' // the key that ends `path` (an unknown key)
  | 'parent'; // the mapping that should hold the last key of `path` (a missing field)

export interface Explained {
  path: PathSegment[];
  anchor: Anchor;
  message: string;
}

/**
 * Passed to safeParse as the per-parse error map: schema-level messages (the ones written
 * in schema.ts) take precedence over it, so an issue still carrying this text has no
 * message of its own and is worded here.
 */
export const DEFAULT_MESSAGE = '\u0000zod-default';

type Issue = z.core.$ZodIssue;

/** The zod schema internals this file reads to name expected values and known keys. */
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}
interface Schema {
  _zod: { def: Def };
  description?: string;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch']);

/** The schema itself and the ones it wraps (optional, default, pipe input...), outermost first. */
function chain(schema: Schema): Schema[] {
  const list = [schema];
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === 'pipe' ? def.in : undefined;
    if (!next) return list;
    list.push(next);
    current = next;
  }
}

function core(schema: Schema): Schema {
  return chain(schema).at(-1) ?? schema;
}

/** Every schema that may apply at `path`; unions fan out into all their options. */
function schemasAt(root: Schema, path: PathSegment[]): Schema[] {
  let current = [root];
  for (const segment of path) {
    current = current.flatMap((schema) => step(core(schema), segment));
  }
  return current;
}

function step(schema: Schema, segment: PathSegment): Schema[] {
  const def = schema._zod.def;
  if (def.type === 'union') return (def.options ?? []).flatMap((o) => step(core(o), segment));
  if (def.type === 'object') {
    const child = typeof segment === 'string' ? def.shape?.[segment] : undefined;
    return child ? [child] : [];
  }
  if (def.type === 'array' && typeof segment === 'number') return def.element ? [def.element] : [];
  if (def.type === 'record') return def.valueType ? [def.valueType] : [];
  return [];
}

function knownKeys(root: Schema, path: PathSegment[]): string[] {
  const keys = new Set<string>();
  const add = (schema: Schema) => {
    const def = core(schema)._zod.def;
    if (def.type === 'object') for (const key of Object.keys(def.shape ?? {})) keys.add(key);
    if (def.type === 'union') for (const option of def.options ?? []) add(option);
  };
  for (const schema of schemasAt(root, path)) add(schema);
  return [...keys];
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'nothing (null)',
};

/** Names what a schema accepts, for unions no single option of which came close. */
function expectedBy(schema: Schema): string {
  for (const link of chain(schema)) {
    if (link._zod.def.type === 'union' && link.description) return link.description;
  }
  const def = core(schema)._zod.def;
  if (def.type === 'union') return (def.options ?? []).map(expectedBy).join(' or ');
  if (def.type === 'literal') return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
  if (def.type === 'enum') return `one of ${quoteAll(Object.values(def.entries ?? {}))}`;
  return TYPE_NOUNS[def.type] ?? def.type;
}

function quoteAll(values: unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Credentials live under a tenant's auth: a value there is described, never quoted. */
function isSecretPath(path: PathSegment[]): boolean {
  const auth = path.indexOf('auth');
  return (
    auth >= 0 &&
    path
      .slice(auth + 1)
      .some((s) => ['bearer', 'cookie', 'headers', 'json', 'form'].includes(`${s}`))
  );
}

/** Describes a found value: `string "abc"`, `number 3`, `a list`. */
export function describeValue(value: unknown, secret: boolean): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty mapping' : `a mapping with keys ${keys.join(', ')}`;
  }
  if (secret) return `a ${typeof value} (not shown: it may be a secret)`;
  if (typeof value === 'string') {
    const short = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `string ${JSON.stringify(short)}`;
  }
  return `${typeof value} ${String(value)}`;
}

function valueAt(input: unknown, path: PathSegment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

/** Levenshtein distance, for "did you mean" on unknown keys and subcommands. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (row[j - 1] ?? 0) + 1,
        (previous[j] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The candidate a typo most likely meant, if one is close enough to be worth suggesting. */
export function closest(word: string, candidates: string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(word.toLowerCase(), candidate.toLowerCase());
    if (score <= limit && (!best || score < best.score)) best = { candidate, score };
  }
  return best?.candidate;
}

/**
 * Picks the union option the author most likely meant: options failing on the value's very
 * type are out; of the rest, the one with fewest issues wins if it wins alone.
 */
function likelyOption(branches: Issue[][]): Issue[] | undefined {
  const viable = branches.filter(
    (issues) =>
      !issues.some(
        (i) =>
          i.path.length === 0 &&
          (i.code === 'invalid_type' || (i.code === 'invalid_union' && !likelyOption(i.errors))),
      ),
  );
  const fewest = Math.min(...viable.map((issues) => issues.length));
  const best = viable.filter((issues) => issues.length === fewest);
  return best.length === 1 ? best[0] : undefined;
}

function bound(issue: { inclusive?: boolean }, strict: string, inclusive: string): string {
  return issue.inclusive === false ? strict : inclusive;
}

/** What was found where an issue arose. */
interface Found {
  value: unknown;
  secret: boolean;
  root: Schema;
  path: PathSegment[];
}

/** Words a zod issue that has no message from schema.ts. */
function word(issue: Issue, found: Found): string {
  const { value, root, path } = found;
  const got = describeValue(value, found.secret);
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NOUNS[issue.expected] ?? issue.expected}, got ${got}`;
    case 'too_small': {
      const min = String(issue.minimum);
      if (issue.origin === 'string') {
        return issue.minimum === 1 ? 'must not be empty' : `expected at least ${min} characters`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `expected at least ${min} items, got ${Array.isArray(value) ? value.length : got}`;
      }
      return `expected a number ${bound(issue, '>', '>=')} ${min}, got ${got}`;
    }
    case 'too_big': {
      const max = String(issue.maximum);
      if (issue.origin === 'string') return `expected at most ${max} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `expected at most ${max} items, got ${Array.isArray(value) ? value.length : got}`;
      }
      return `expected a number ${bound(issue, '<', '<=')} ${max}, got ${got}`;
    }
    case 'invalid_format':
      if (issue.format === 'url')
        return `expected an http(s) URL such as http://127.0.0.1:8080, got ${got}`;
      if (issue.format === 'regex')
        return `expected text matching ${issue.pattern ?? 'a pattern'}, got ${got}`;
      return `expected ${issue.format}, got ${got}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, got ${got}`
        : `expected one of ${quoteAll(issue.values)}, got ${got}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}, got ${got}`;
    case 'invalid_union': {
      const expected = schemasAt(root, path).map(expectedBy);
      return `expected ${expected[0] ?? 'another kind of value'}, got ${got}`;
    }
    case 'invalid_key':
      return `invalid key: ${issue.issues.map((i) => i.message).join('; ')}`;
    default:
      return 'invalid value';
  }
}

/**
 * Explains every issue of a failed parse of `input` against `root`. `prefix` is used when
 * recursing into a union option, whose issue paths are relative to the union.
 */
export function explainIssues(
  issues: readonly Issue[],
  input: unknown,
  root: z.ZodType,
  prefix: PathSegment[] = [],
): Explained[] {
  const schema = root as unknown as Schema;
  return issues.flatMap((relative): Explained[] => {
    const path = [...prefix, ...relative.path.map((s) => (typeof s === 'symbol' ? String(s) : s))];
    const issue = { ...relative, path } as Issue;
    const value = valueAt(input, path);

    if (issue.code === 'unrecognized_keys') {
      const taken = typeof value === 'object' && value !== null ? Object.keys(value) : [];
      const candidates = knownKeys(schema, path).filter((k) => !taken.includes(k));
      return issue.keys.map((key) => {
        const guess = closest(key, candidates);
        const hint = guess ? ` (did you mean "${guess}"?)` : '';
        return { path: [...path, key], anchor: 'key', message: `unknown key "${key}"${hint}` };
      });
    }
    if (issue.code === 'invalid_union' && issue.message === DEFAULT_MESSAGE) {
      const option = likelyOption(issue.errors);
      if (option) return explainIssues(option, input, root, path);
    }
    const secret = isSecretPath(path);
    if (issue.message !== DEFAULT_MESSAGE) {
      // schema.ts words what it expects; add what was found, as for every other problem.
      const found = /^expected /.test(issue.message) && !issue.message.includes(', got ');
      const message = found
        ? `${issue.message}, got ${describeValue(value, secret)}`
        : issue.message;
      return [{ path, anchor: 'value', message }];
    }
    if (issue.code === 'invalid_type' && value === undefined) {
      return [
        { path, anchor: 'parent', message: `missing required field "${String(path.at(-1))}"` },
      ];
    }
    return [{ path, anchor: 'value', message: word(issue, { value, secret, root: schema, path }) }];
  });
}

/** `probe.tenants[1].auth.bearer` */
export function formatPath(path: PathSegment[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const plain = /^[A-Za-z_$][\w$-]*$/.test(segment);
      const text = plain ? segment : JSON.stringify(segment);
      return i === 0 ? text : plain ? `.${text}` : `[${text}]`;
    })
    .join('');
}

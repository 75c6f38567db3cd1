import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from 'yaml';
import {
  type Anchor,
  DEFAULT_MESSAGE,
  type Explained,
  explainIssues,
  formatPath,
  type PathSegment,
} from './issues.ts';
import { Policy } from './schema.ts';
import { jsonSecretRefProblems } from './secret-ref.ts';
import { policyWarnings } from './warnings.ts';

/** Reads policy files and reports every problem at its line and column, never a stack trace. */

export interface PolicyProblem {
  file: string;
  line: number;
  col: number;
  /** Dotted path of the field concerned, e.g. probe.tenants[1].auth; empty for YAML errors. */
  path: string;
  message: string;
}

export type LoadResult =
  | { ok: true; policy: Policy; file: string; warnings: PolicyProblem[] }
  | { ok: false; problems: PolicyProblem[] };

/** `FILE:LINE:COL path: message` (`FILE:LINE:COL message` without a path): editors link it. */
export function formatProblem(p: PolicyProblem): string {
  const path = p.path ? `${p.path}: ` : '';
  return `${p.file}:${p.line}:${p.col} ${path}${p.message}`;
}

function byPosition(a: PolicyProblem, b: PolicyProblem): number {
  return a.line - b.line || a.col - b.col;
}

function failed(problems: PolicyProblem[]): LoadResult {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ok: false, problems: unique.sort(byPosition) };
}

export type Doc = Document.Parsed;

/** Finds the YAML node a path leads to, or the deepest one on the way if it is not there. */
function locate(doc: Doc, path: PathSegment[]): { node: Node | null; key: Node | null } {
  let node = doc.contents as Node | null;
  let key: Node | null = null;
  for (const segment of path) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) return { node, key };
      key = pair.key as Node;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      key = null;
      node = node.items[segment] as Node;
    } else {
      return { node, key };
    }
  }
  return { node, key };
}

function keyText(key: unknown): string {
  if (key && typeof key === 'object' && 'value' in key) return String(key.value);
  return String(key);
}

/** The offset a problem points at: see Anchor. Offsets count from the start of the file. */
export function offsetOf(doc: Doc, path: PathSegment[], anchor: Anchor): number {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  const { node, key } = locate(doc, target);
  const keyStart = key?.range?.[0];
  if (anchor === 'key' && keyStart !== undefined) return keyStart;
  // An empty value (`identity:`) has no node of its own: point at its key.
  const isEmpty = !node || (node.range?.[0] === node.range?.[1] && keyStart !== undefined);
  return (isEmpty ? keyStart : node?.range?.[0]) ?? 0;
}

/** Duplicate-key errors point at the key's first character; name the whole key. */
function duplicateKeyName(doc: Doc, offset: number): string | undefined {
  let name: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && (pair.key as Node | null)?.range?.[0] === offset) {
        name = keyText(pair.key);
        return visit.BREAK;
      }
    },
  });
  return name;
}

/** Places a problem: offset to line and column. */
export type At = (offset: number, path: string, message: string) => PolicyProblem;

/** YAML syntax errors and duplicate keys of every document, at their positions. */
export function syntaxProblems(docs: readonly Doc[], at: At): PolicyProblem[] {
  return docs.flatMap((doc) =>
    doc.errors.map((error) => {
      const name = error.code === 'DUPLICATE_KEY' ? duplicateKeyName(doc, error.pos[0]) : undefined;
      const message =
        error.code === 'DUPLICATE_KEY'
          ? `duplicate key${name ? ` "${name}"` : ''}: a key may appear once per mapping`
          : `invalid YAML: ${error.message}`;
      return at(error.pos[0], '', message);
    }),
  );
}

/** Validates policy text. Pure: `file` only labels the problems. */
export function parsePolicy(text: string, file: string): LoadResult {
  const lines = new LineCounter();
  const at: At = (offset, path, message) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col, path, message };
  };
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const syntax = syntaxProblems(docs, at);
  const second = docs[1];
  if (second) {
    syntax.push(
      at(
        second.range[0],
        '',
        'a policy file holds one YAML document; remove the "---" and what follows or split the file',
      ),
    );
  }
  if (syntax.length > 0) return failed(syntax);

  const doc = docs[0];
  if (!doc || doc.contents === null) {
    return failed([
      at(
        0,
        '',
        'the file is empty: a policy needs apiVersion, kind and a probe or approval section',
      ),
    ]);
  }
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    return failed([
      at(
        doc.contents.range[0],
        '',
        `expected a mapping (apiVersion: ..., kind: Policy, ...) at the top level, got ${found}`,
      ),
    ]);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return failed([
      at(0, '', `invalid YAML: ${error instanceof Error ? error.message : String(error)}`),
    ]);
  }
  const explained: Explained[] = [...secretRefShapes(data)];
  const parsed = Policy.safeParse(data, { error: () => DEFAULT_MESSAGE });
  if (parsed.success && explained.length === 0) {
    const warnings = policyWarnings(parsed.data).map((w) =>
      at(offsetOf(doc, w.path, 'value'), formatPath(w.path), `warning: ${w.message}`),
    );
    return { ok: true, policy: parsed.data, file, warnings };
  }
  if (!parsed.success) explained.push(...explainIssues(parsed.error.issues, data, Policy));
  return failed(
    explained.map((e) => at(offsetOf(doc, e.path, e.anchor), formatPath(e.path), e.message)),
  );
}

/** Login JSON bodies are free-form to the schema; their secret references are checked here. */
function secretRefShapes(data: unknown): Explained[] {
  const tenants = (data as { probe?: { tenants?: unknown } }).probe?.tenants;
  if (!Array.isArray(tenants)) return [];
  return tenants.flatMap((tenant, i) => {
    const json = (tenant as { auth?: { login?: { json?: unknown } } } | null)?.auth?.login?.json;
    const base = ['probe', 'tenants', i, 'auth', 'login', 'json'];
    return jsonSecretRefProblems(json).map((p) => ({
      path: [...base, ...p.path],
      anchor: 'value' as const,
      message: p.message,
    }));
  });
}

const READ_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
};

/** Reads a file as text; a relative path from `cwd`. A failure is a problem naming the reason. */
export async function readPolicyText(
  file: string,
  cwd = process.cwd(),
): Promise<{ ok: true; text: string } | { ok: false; problems: PolicyProblem[] }> {
  try {
    return { ok: true, text: await readFile(resolve(cwd, file), 'utf8') };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? (READ_REASONS[code] ?? code) : String(error);
    const suffix = typeof code === 'string' && READ_REASONS[code] ? ` (${code})` : '';
    return {
      ok: false,
      problems: [
        { file, line: 1, col: 1, path: '', message: `cannot read the policy: ${reason}${suffix}` },
      ],
    };
  }
}

/**
 * Reads and validates a policy file. `file` labels the problems as given; a relative
 * path is read from `cwd`.
 */
export async function loadPolicyFile(file: string, cwd = process.cwd()): Promise<LoadResult> {
  const read = await readPolicyText(file, cwd);
  return read.ok ? parsePolicy(read.text, file) : read;
}

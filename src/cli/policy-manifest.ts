import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { type Anchor, describeValue, type PathSegment } from '../policy/issues.ts';
import {
  type At,
  type Doc,
  offsetOf,
  type PolicyProblem,
  parsePolicy,
  syntaxProblems,
} from '../policy/load.ts';
import { type SpecProblem, validateInlinePolicy, validateSpec } from '../release/validate.ts';

/**
 * What `vakt policy check` does with one file: a vakt Policy, or Kubernetes manifests
 * (the documents `kubectl apply -f` takes) whose ReleaseGuards are checked by the
 * operator's own validation, so a guard that would go Invalid is caught before it is
 * applied. Problems point at the field's line and column in the file.
 */

const API_VERSION = 'vakt.dev/v1alpha1';
const EXPECTED = `expected a vakt Policy (kind: Policy) or ReleaseGuard manifests (apiVersion: ${API_VERSION}, kind: ReleaseGuard)`;

export interface FileCheck {
  /** Lines for stdout, one per document found fine. */
  ok: string[];
  problems: PolicyProblem[];
  /** Warnings and notes: printed, but they do not fail the check. */
  notes: PolicyProblem[];
}

interface Located {
  path: PathSegment[];
  anchor: Anchor;
  /** Shown as the problem's path; defaults to `path`, dotted. */
  label: string;
  message: string;
}

function kindOf(doc: Doc): unknown {
  return isMap(doc.contents) ? (doc.contents.get('kind') as unknown) : undefined;
}

/** A document `parsePolicy` should judge: a Policy, or something meant as one. */
function meantAsPolicy(doc: Doc): boolean {
  if (!isMap(doc.contents)) return true;
  const kind = kindOf(doc);
  const apiVersion: unknown = doc.contents.get('apiVersion');
  return (
    kind === undefined ||
    kind === 'Policy' ||
    (typeof apiVersion === 'string' && apiVersion.startsWith('vakt.dev/'))
  );
}

/** Reads back a path `formatPath` wrote (`spec.policy.inline.probe.tenants[1].auth`). */
export function parsePath(text: string): PathSegment[] {
  const token = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  const segments: PathSegment[] = [];
  let rest = text;
  while (rest) {
    const match = token.exec(rest);
    // An unreadable remainder: point at the deepest field read so far.
    if (!match) break;
    const [whole, plain, index, quoted] = match;
    segments.push(plain ?? (index !== undefined ? Number(index) : JSON.parse(quoted ?? '""')));
    rest = rest.slice(whole.length);
  }
  return segments;
}

function fromSpec(problem: SpecProblem): Located {
  // An unknown key is shown at the key; every other problem at its value (or, when the
  // field is missing, at the mapping that should hold it: the deepest node on the path).
  const anchor: Anchor = problem.message.startsWith('unknown key "') ? 'key' : 'value';
  return { path: parsePath(problem.path), anchor, label: problem.path, message: problem.message };
}

function field(path: PathSegment[], message: string): Located {
  return { path, anchor: 'value', label: path.join('.'), message };
}

interface Guard {
  apiVersion?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { policy?: { inline?: unknown; configMapRef?: { name?: unknown; key?: unknown } } };
}

/** Problems and notes of one ReleaseGuard document, by path within it. */
function guardFindings(data: Guard): { problems: Located[]; notes: Located[] } {
  const problems: Located[] = [];
  const notes: Located[] = [];
  if (data.apiVersion !== API_VERSION) {
    const got = describeValue(data.apiVersion, false);
    problems.push(field(['apiVersion'], `expected "${API_VERSION}", got ${got}`));
  }
  const name = data.metadata?.name;
  if (typeof name !== 'string' || name === '') {
    const got = describeValue(name, false);
    problems.push(field(['metadata', 'name'], `expected the guard's name, got ${got}`));
  }
  if (data.spec === undefined || data.spec === null) {
    problems.push(field(['spec'], 'missing required field "spec"'));
    return { problems, notes };
  }
  const spec = validateSpec(data.spec);
  if (!spec.ok) problems.push(...spec.problems.map(fromSpec));
  const { inline, configMapRef } = data.spec.policy ?? {};
  if (typeof inline === 'object' && inline !== null && !Array.isArray(inline)) {
    const policy = validateInlinePolicy(inline);
    if (!policy.ok) problems.push(...policy.problems.map(fromSpec));
  }
  if (typeof configMapRef === 'object' && configMapRef !== null) {
    const ref = `ConfigMap ${JSON.stringify(configMapRef.name)} key ${JSON.stringify(configMapRef.key)}`;
    notes.push(
      field(
        ['spec', 'policy', 'configMapRef'],
        `note: the policy in ${ref} is not checked offline; check the file it is made from with vakt policy check`,
      ),
    );
  }
  return { problems, notes };
}

function byPosition(a: PolicyProblem, b: PolicyProblem): number {
  return a.line - b.line || a.col - b.col;
}

/** Checks the text of one file. Pure: `file` only labels the output. */
export function checkPolicyFileText(text: string, file: string): FileCheck {
  const lines = new LineCounter();
  const at: At = (offset, path, message) => ({ file, ...lines.linePos(offset), path, message });
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  // An empty document (a trailing `---`) holds nothing to apply, as for kubectl.
  const objects = docs.filter(
    (doc) => doc.contents !== null && !(isScalar(doc.contents) && doc.contents.value === null),
  );
  const failed = (problems: PolicyProblem[]): FileCheck => ({ ok: [], problems, notes: [] });

  if (objects.length === 0) return failed([at(0, '', `the file is empty: ${EXPECTED}`)]);
  const guards = objects.filter((doc) => kindOf(doc) === 'ReleaseGuard');
  if (guards.length === 0 && objects.some(meantAsPolicy)) {
    const result = parsePolicy(text, file);
    if (!result.ok) return failed(result.problems);
    return { ok: [`${file}: ok`], problems: [], notes: result.warnings };
  }
  const syntax = syntaxProblems(docs, at);
  if (syntax.length > 0) return failed(syntax);
  if (guards.length === 0) {
    const kinds = [...new Set(objects.map((doc) => String(kindOf(doc))))].join(', ');
    return failed([at(objects[0]?.range[0] ?? 0, '', `${EXPECTED}; found only ${kinds}`)]);
  }

  const result: FileCheck = { ok: [], problems: [], notes: [] };
  const place = (doc: Doc, found: Located): PolicyProblem =>
    at(offsetOf(doc, found.path, found.anchor), found.label, found.message);
  for (const doc of objects) {
    if (!isMap(doc.contents)) {
      const got = isSeq(doc.contents) ? 'a list' : 'a single value';
      result.problems.push(
        at(doc.range[0], '', `expected a Kubernetes object (apiVersion, kind, ...), got ${got}`),
      );
      continue;
    }
    const kind = kindOf(doc);
    if (kind === 'Policy') {
      result.problems.push(
        place(
          doc,
          field(
            ['kind'],
            'a Policy is not a Kubernetes object: put it in spec.policy.inline of a ReleaseGuard, or in a file of its own',
          ),
        ),
      );
      continue;
    }
    // Deployments, Services and the rest are Kubernetes' to check.
    if (kind !== 'ReleaseGuard') continue;
    let data: Guard;
    try {
      data = doc.toJS({ maxAliasCount: 100 }) as Guard;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      result.problems.push(at(doc.range[0], '', `invalid YAML: ${reason}`));
      continue;
    }
    const findings = guardFindings(data);
    result.problems.push(...findings.problems.map((found) => place(doc, found)));
    result.notes.push(...findings.notes.map((found) => place(doc, found)));
    if (findings.problems.length === 0) {
      const { name, namespace } = data.metadata ?? {};
      const where = typeof namespace === 'string' ? ` (namespace ${namespace})` : '';
      result.ok.push(`ok: ${file}: ReleaseGuard ${String(name)}${where}`);
    }
  }
  result.problems.sort(byPosition);
  return result;
}

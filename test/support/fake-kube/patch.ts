import { badRequest, KubeError } from './status.ts';

/** The three patch formats the API server accepts for JSON bodies. */

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return (
    keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length &&
    keys.every((k) => deepEqual(a[k], b[k]))
  );
}

/** RFC 7386: objects merge, null deletes, anything else (lists too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * An approximation of strategic merge: the real one reads merge keys from the Go types;
 * here any list whose items all have a `name` (containers, env, volumes, ports) merges by
 * name, honouring `$patch: delete` items. Other lists replace; other `$` directives are
 * ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.filter((item) => !isDirective(item, 'delete')).map(strip);
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return strip(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const current = result[key];
    if (value === null) delete result[key];
    else if (Array.isArray(value) && isNamedList(value) && isNamedList(current))
      result[key] = mergeByName(current, value);
    else result[key] = strategicMergePatch(current, value);
  }
  return result;
}

function isNamedList(value: unknown): value is Json[] {
  return Array.isArray(value) && value.every((item) => isObject(item) && 'name' in item);
}

function isDirective(item: unknown, directive: string): boolean {
  return isObject(item) && item.$patch === directive;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('$'))
      .map(([key, item]) => [key, strip(item)]),
  );
}

function mergeByName(current: Json[], patch: Json[]): Json[] {
  const result = [...current];
  for (const item of patch) {
    const at = result.findIndex((existing) => existing.name === item.name);
    if (isDirective(item, 'delete')) {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = strategicMergePatch(result[at], item) as Json;
    else result.push(strip(item) as Json);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902 with add, remove, replace, test, move and copy. */
export function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be a list of operations');
  let result = structuredClone(document);
  for (const operation of operations as Operation[]) {
    if (typeof operation?.path !== 'string') throw badRequest('json patch operation needs a path');
    const { op, path } = operation;
    if (op === 'test') {
      if (!deepEqual(read(result, path), operation.value))
        throw unprocessable(`testing value ${path} failed: test failed`);
    } else if (op === 'remove') result = remove(result, path);
    else if (op === 'add') result = add(result, path, structuredClone(operation.value));
    else if (op === 'replace') result = add(remove(result, path), path, operation.value);
    else if (op === 'move' || op === 'copy') {
      const from = operation.from ?? '';
      const value = structuredClone(read(result, from));
      if (op === 'move') result = remove(result, from);
      result = add(result, path, value);
    } else throw badRequest(`unexpected json patch operation "${op}"`);
  }
  return result;
}

function unprocessable(message: string): KubeError {
  return new KubeError(422, message);
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid json pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function child(parent: unknown, token: string, path: string): unknown {
  if (Array.isArray(parent) && /^\d+$/.test(token) && Number(token) < parent.length)
    return parent[Number(token)];
  if (isObject(parent) && Object.hasOwn(parent, token)) return parent[token];
  throw unprocessable(`doc is missing path: "${path}": missing value`);
}

function read(document: unknown, path: string): unknown {
  return tokens(path).reduce((node, token) => child(node, token, path), document);
}

function parentOf(document: unknown, path: string): { parent: unknown; last: string } {
  const all = tokens(path);
  const last = all.pop();
  if (last === undefined) return { parent: undefined, last: '' };
  return { parent: all.reduce((node, token) => child(node, token, path), document), last };
}

function add(document: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) {
    const at = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(at) || at > parent.length)
      throw unprocessable(`add operation does not apply: index out of bounds at "${path}"`);
    parent.splice(at, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw unprocessable(`doc is missing path: "${path}": missing value`);
  return document;
}

function remove(document: unknown, path: string): unknown {
  read(document, path);
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return document;
}

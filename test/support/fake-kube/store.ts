import { randomInt, randomUUID } from 'node:crypto';
import type { KindInfo, KubeObject } from './kinds.ts';
import { deepEqual } from './patch.ts';
import { alreadyExists, badRequest, conflict, invalid, KubeError, notFound } from './status.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  kind: KindInfo;
  /** The object as written, with the resourceVersion of this change. Do not mutate. */
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED). */
  previous?: KubeObject;
  resourceVersion: number;
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * The objects, a global resourceVersion counter (etcd's revision), and a bounded history
 * of changes that watches resume from. Write semantics follow the API server's generic
 * registry: server-owned metadata, generation on spec change, optimistic concurrency,
 * no-op writes that change nothing, and finalizers that delay deletion.
 */
export class Store {
  resourceVersion = 0;
  /** History at or below this resourceVersion is gone; a watch from before it gets 410. */
  compactedAt = 0;
  historyLimit: number;
  readonly history: StoreEvent[] = [];
  readonly #objects = new Map<string, KubeObject>();
  readonly #listeners = new Set<(event: StoreEvent) => void>();

  constructor(historyLimit = 1000) {
    this.historyLimit = historyLimit;
  }

  get(kind: KindInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.#objects.get(key(kind, namespace, name));
    return object && structuredClone(object);
  }

  /** Sorted by namespace and name, like etcd keys. */
  list(kind: KindInfo, namespace?: string): KubeObject[] {
    const prefix = key(kind, namespace, '');
    const all = namespace ? prefix : prefix.slice(0, prefix.indexOf('|') + 1);
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(all))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, object]) => structuredClone(object));
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets all history: watches from any earlier resourceVersion now get 410 Gone. */
  compact(): void {
    this.compactedAt = this.resourceVersion;
    this.history.length = 0;
  }

  create(kind: KindInfo, input: KubeObject, options: { keepStatus?: boolean } = {}): KubeObject {
    const object = typed(kind, structuredClone(input));
    const meta = object.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${suffix()}`;
    const name = meta.name;
    if (!name)
      throw invalid(kind, '', 'metadata.name', 'Required value: name or generateName is required');
    if (kind.namespaced && !meta.namespace) throw badRequest('the namespace is required');
    if (this.#objects.has(key(kind, meta.namespace, name))) throw alreadyExists(kind, name);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    if (kind.status && !options.keepStatus) delete object.status;
    kind.normalize?.(object);
    return this.#commit('ADDED', kind, object);
  }

  /**
   * PUT semantics. `status` writes change only status; other writes keep status for kinds
   * with the subresource. `force` skips the resourceVersion check and writes status too
   * (test setup).
   */
  update(
    kind: KindInfo,
    input: KubeObject,
    options: { status?: boolean; force?: boolean } = {},
  ): KubeObject {
    const { name = '', namespace } = input.metadata ?? {};
    const current = this.#objects.get(key(kind, namespace, name));
    if (!current) throw notFound(kind, name);
    const asked = input.metadata.resourceVersion;
    if (!options.force && asked && asked !== current.metadata.resourceVersion)
      throw conflict(kind, name);
    if (!options.force && !asked && kind.custom)
      throw invalid(
        kind,
        name,
        'metadata.resourceVersion',
        'Invalid value: 0x0: must be specified for an update',
      );
    const next = options.status
      ? { ...structuredClone(current), status: structuredClone(input.status) }
      : typed(kind, structuredClone(input));
    const meta = next.metadata;
    // Server-owned metadata cannot be written by clients.
    const { uid, creationTimestamp, generation, resourceVersion } = current.metadata;
    const { deletionTimestamp, deletionGracePeriodSeconds } = current.metadata;
    Object.assign(meta, { uid, creationTimestamp, generation, resourceVersion });
    Object.assign(meta, { deletionTimestamp, deletionGracePeriodSeconds });
    if (kind.status && !options.status && !options.force)
      next.status = structuredClone(current.status);
    kind.normalize?.(next);
    if (deepEqual(next, current)) return structuredClone(current);
    if (!deepEqual(spec(next), spec(current)))
      meta.generation = (current.metadata.generation ?? 0) + 1;
    if (meta.deletionTimestamp && !meta.finalizers?.length)
      return this.#commit('DELETED', kind, next, current);
    return this.#commit('MODIFIED', kind, next, current);
  }

  /** Deletes at once, or marks for deletion while finalizers remain (`pending`). */
  delete(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    preconditions: Preconditions = {},
  ): { object: KubeObject; pending: boolean } {
    const current = this.#objects.get(key(kind, namespace, name));
    if (!current) throw notFound(kind, name);
    for (const field of ['uid', 'resourceVersion'] as const) {
      const wanted = preconditions[field];
      if (wanted && wanted !== current.metadata[field])
        throw new KubeError(
          409,
          `Precondition failed: ${field === 'uid' ? 'UID' : 'ResourceVersion'} in precondition: ${wanted}, ${field === 'uid' ? 'UID' : 'ResourceVersion'} in object meta: ${current.metadata[field]}`,
        );
    }
    if (!current.metadata.finalizers?.length)
      return {
        object: this.#commit('DELETED', kind, structuredClone(current), current),
        pending: false,
      };
    if (current.metadata.deletionTimestamp)
      return { object: structuredClone(current), pending: true };
    const next = structuredClone(current);
    next.metadata.deletionTimestamp = timestamp();
    next.metadata.deletionGracePeriodSeconds = 0;
    return { object: this.#commit('MODIFIED', kind, next, current), pending: true };
  }

  #commit(type: EventType, kind: KindInfo, object: KubeObject, previous?: KubeObject): KubeObject {
    this.resourceVersion += 1;
    object.metadata.resourceVersion = String(this.resourceVersion);
    const k = key(kind, object.metadata.namespace, object.metadata.name ?? '');
    if (type === 'DELETED') this.#objects.delete(k);
    else this.#objects.set(k, object);
    const event: StoreEvent = {
      type,
      kind,
      object: structuredClone(object),
      ...(previous ? { previous } : {}),
      resourceVersion: this.resourceVersion,
    };
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedAt = dropped.resourceVersion;
    }
    for (const listener of this.#listeners) listener(event);
    return structuredClone(object);
  }
}

function key(kind: KindInfo, namespace: string | undefined, name: string): string {
  return `${kind.apiVersion}/${kind.plural}|${kind.namespaced ? (namespace ?? '') : ''}/${name}`;
}

/** The server fills apiVersion and kind from the URL for built-in kinds only. */
function typed(kind: KindInfo, object: KubeObject): KubeObject {
  if (kind.custom && (!object.apiVersion || !object.kind))
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(object)}'`);
  object.apiVersion ??= kind.apiVersion;
  object.kind ??= kind.kind;
  if (object.apiVersion !== kind.apiVersion || object.kind !== kind.kind)
    throw badRequest(
      `the API version in the data (${object.apiVersion}) does not match the expected API version (${kind.apiVersion}) or kind (${object.kind} is not ${kind.kind})`,
    );
  object.metadata ??= {};
  return object;
}

function spec(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Like the API server's generateName suffix: five characters without vowels. */
function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

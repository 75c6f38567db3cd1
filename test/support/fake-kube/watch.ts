import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenWatch } from './faults.ts';
import type { KindInfo, KubeObject } from './kinds.ts';
import { badRequest, KubeError } from './status.ts';
import type { Store, StoreEvent } from './store.ts';

export interface WatchQuery {
  kind: KindInfo;
  namespace?: string;
  name?: string;
  matches: (object: KubeObject) => boolean;
  resourceVersion: string | null;
  timeoutSeconds?: number;
}

/**
 * A watch as the API server streams it: one JSON event per line. Without a
 * resourceVersion (or "0") it starts with ADDED for every current object; with one it
 * replays history after it, or sends a 410 ERROR event and ends when that history is gone.
 */
export function serveWatch(
  store: Store,
  query: WatchQuery,
  req: IncomingMessage,
  res: ServerResponse,
  open: Set<OpenWatch>,
): void {
  const from =
    query.resourceVersion && query.resourceVersion !== '0'
      ? Number(query.resourceVersion)
      : undefined;
  if (from !== undefined && !(Number.isInteger(from) && from >= 0))
    throw badRequest(`invalid resource version: ${query.resourceVersion}`);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };

  if (from !== undefined && from < store.compactedAt) {
    const gone = new KubeError(410, `too old resource version: ${from} (${store.compactedAt + 1})`);
    write('ERROR', gone.toStatus());
    res.end();
    return;
  }

  const selected = (object: KubeObject) =>
    (!query.namespace || object.metadata.namespace === query.namespace) &&
    (!query.name || object.metadata.name === query.name) &&
    query.matches(object);
  // A change that moves an object into or out of the selection is an ADDED or DELETED.
  const send = (event: StoreEvent) => {
    if (event.kind !== query.kind) return;
    const now = selected(event.object);
    const before =
      event.type !== 'ADDED' && event.previous !== undefined && selected(event.previous);
    if (event.type === 'MODIFIED' && now !== before) write(now ? 'ADDED' : 'DELETED', event.object);
    else if (now) write(event.type, event.object);
  };

  if (from === undefined) {
    for (const object of store.list(query.kind, query.namespace))
      if (selected(object)) write('ADDED', object);
  } else {
    for (const event of store.history) if (event.resourceVersion > from) send(event);
  }

  const unsubscribe = store.subscribe(send);
  // Stop listening before ending, so no change is written after the end.
  const end = (abrupt: boolean) => {
    cleanup();
    if (abrupt) res.destroy();
    else res.end();
  };
  const timer =
    query.timeoutSeconds !== undefined
      ? setTimeout(() => end(false), query.timeoutSeconds * 1000)
      : undefined;
  const watch: OpenWatch = { kind: query.kind, end };
  open.add(watch);
  function cleanup() {
    unsubscribe();
    clearTimeout(timer);
    open.delete(watch);
  }
  res.on('close', cleanup);
  req.on('close', cleanup);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults, RequestLog, Verb } from './faults.ts';
import { KINDS, type KindInfo, type KubeObject, parsePath, type Route } from './kinds.ts';
import { isObject, jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { fieldSelector, labelSelector } from './selectors.ts';
import { badRequest, KubeError, notFound } from './status.ts';
import type { Store } from './store.ts';
import { serveWatch } from './watch.ts';

export interface Context {
  store: Store;
  faults: Faults;
  requests: RequestLog;
  /** API groups this server does not serve (a CRD not installed): every request is a 404. */
  absentGroups: Set<string>;
}

/** Routes API requests to the store, the way the API server's REST handlers do. */
export function apiHandler(ctx: Context): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      const failure =
        error instanceof KubeError ? error : new KubeError(500, `fake-kube: ${String(error)}`);
      if (res.headersSent) return void res.end();
      send(res, failure.code, failure.toStatus(), failure.headers);
    });
  };
}

/** Never answers; counts the request as held until its client closes the connection. */
function hold(faults: Faults, res: ServerResponse): void {
  faults.held += 1;
  res.once('close', () => {
    faults.held -= 1;
  });
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-kube');
  const route = parsePath(url.pathname);
  if (route && absent(ctx, 'kind' in route ? route.kind.apiVersion : route.apiVersion))
    throw new KubeError(404, 'the server could not find the requested resource');
  if (route && !('kind' in route)) return send(res, 200, discovery(route.apiVersion));
  if (!route) throw new KubeError(404, 'the server could not find the requested resource');
  const verb = verbOf(req.method, route, url);
  if (!verb)
    throw new KubeError(405, `the server does not allow this method on the requested resource`);
  const { kind, namespace, name = '', subresource } = route;
  ctx.requests.all.push({ verb, ...route });
  const fault = ctx.faults.take({ verb, ...route });
  if (fault === 'hang') return hold(ctx.faults, res);
  if (fault) throw fault;
  if (subresource && (subresource !== 'status' || !kind.status || verb === 'create'))
    throw new KubeError(404, 'the server could not find the requested resource');
  if (kind.namespaced && !namespace && verb !== 'list' && verb !== 'watch')
    throw new KubeError(404, 'the server could not find the requested resource');
  const status = subresource === 'status';
  const query = url.searchParams;

  switch (verb) {
    case 'get':
      return send(res, 200, ctx.store.get(kind, namespace, name) ?? throwing(notFound(kind, name)));
    case 'list':
      return send(res, 200, list(ctx.store, kind, namespace, query));
    case 'watch':
      return serveWatch(
        ctx.store,
        {
          kind,
          ...(namespace ? { namespace } : {}),
          ...(route.name ? { name } : {}),
          matches: selection(query),
          resourceVersion: query.get('resourceVersion'),
          ...(query.has('timeoutSeconds')
            ? { timeoutSeconds: Number(query.get('timeoutSeconds')) }
            : {}),
        },
        req,
        res,
        ctx.faults.watches,
      );
    case 'create': {
      const body = scoped(await readObject(req), namespace);
      return send(res, 201, ctx.store.create(kind, body));
    }
    case 'update': {
      const body = named(scoped(await readObject(req), namespace), name);
      return send(res, 200, ctx.store.update(kind, body, { status }));
    }
    case 'patch': {
      const current = ctx.store.get(kind, namespace, name) ?? throwing(notFound(kind, name));
      const patched = applyPatch(kind, current, await readJson(req), req.headers['content-type']);
      if (!isObject(patched) || !isObject(patched.metadata))
        throw badRequest('patch removed metadata');
      const object = named(scoped(patched as KubeObject, namespace), name);
      object.metadata.resourceVersion ||= current.metadata.resourceVersion;
      return send(res, 200, ctx.store.update(kind, object, { status }));
    }
    case 'delete': {
      const text = await readText(req);
      const options = (text ? parse(text) : {}) as {
        preconditions?: { uid?: string; resourceVersion?: string };
      };
      const { object, pending } = ctx.store.delete(kind, namespace, name, options.preconditions);
      if (pending || kind.custom) return send(res, pending ? 202 : 200, object);
      return send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: kind.group, kind: kind.plural, uid: object.metadata.uid },
      });
    }
  }
}

function absent(ctx: Context, apiVersion: string): boolean {
  return ctx.absentGroups.has(apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '');
}

function verbOf(method: string | undefined, route: Route, url: URL): Verb | undefined {
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  if (!route.name) {
    if (method === 'GET') return watch ? 'watch' : 'list';
    return method === 'POST' ? 'create' : undefined;
  }
  const verbs: Record<string, Verb> = {
    GET: 'get',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  return watch && method === 'GET' ? 'watch' : verbs[method ?? ''];
}

function selection(query: URLSearchParams): (object: KubeObject) => boolean {
  const labels = labelSelector(query.get('labelSelector'));
  const fields = fieldSelector(query.get('fieldSelector'));
  return (object) => labels(object) && fields(object);
}

/** Lists of built-in kinds carry no apiVersion and kind on their items; custom ones do. */
function list(store: Store, kind: KindInfo, namespace: string | undefined, query: URLSearchParams) {
  const matches = selection(query);
  const all = store
    .list(kind, namespace)
    .filter(matches)
    .map((object) => {
      if (kind.custom) return object;
      const { apiVersion: _a, kind: _k, ...item } = object;
      return item;
    });
  const offset = Number(
    query.get('continue') ? Buffer.from(query.get('continue') ?? '', 'base64url').toString() : 0,
  );
  const limit = Number(query.get('limit') ?? 0) || all.length;
  const items = all.slice(offset, offset + limit);
  const rest = all.length - offset - items.length;
  return {
    apiVersion: kind.apiVersion,
    kind: `${kind.kind}List`,
    metadata: {
      resourceVersion: String(store.resourceVersion),
      ...(rest > 0
        ? {
            continue: Buffer.from(String(offset + limit)).toString('base64url'),
            remainingItemCount: rest,
          }
        : {}),
    },
    items,
  };
}

function applyPatch(kind: KindInfo, current: KubeObject, patch: unknown, type = ''): unknown {
  const mediaType = type.split(';')[0]?.trim();
  if (mediaType === 'application/json-patch+json') return jsonPatch(current, patch);
  if (mediaType === 'application/merge-patch+json') return mergePatch(current, patch);
  if (mediaType === 'application/strategic-merge-patch+json' && !kind.custom)
    return strategicMergePatch(current, patch);
  const accepted = [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/apply-patch+yaml',
  ];
  if (!kind.custom) accepted.push('application/strategic-merge-patch+json');
  throw new KubeError(
    415,
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** The namespace comes from the URL; a different one in the body is refused. */
function scoped(object: KubeObject, namespace: string | undefined): KubeObject {
  if (!isObject(object.metadata)) object.metadata = {};
  if (!namespace) return object;
  if (object.metadata.namespace && object.metadata.namespace !== namespace)
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  object.metadata.namespace = namespace;
  return object;
}

function named(object: KubeObject, name: string): KubeObject {
  if (object.metadata.name !== name)
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
    );
  return object;
}

function discovery(apiVersion: string) {
  const kinds = KINDS.filter((k) => k.apiVersion === apiVersion);
  if (kinds.length === 0)
    throw new KubeError(404, 'the server could not find the requested resource');
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersion,
    resources: kinds.flatMap((k) => {
      const resource = {
        name: k.plural,
        singularName: k.kind.toLowerCase(),
        namespaced: k.namespaced,
        kind: k.kind,
        verbs,
      };
      const status = {
        name: `${k.plural}/status`,
        singularName: '',
        namespaced: k.namespaced,
        kind: k.kind,
        verbs: ['get', 'patch', 'update'],
      };
      return k.status ? [resource, status] : [resource];
    }),
  };
}

function throwing(error: KubeError): never {
  throw error;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`the request body is not JSON: ${text.slice(0, 80)}`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  return parse(await readText(req));
}

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const body = await readJson(req);
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  return body as KubeObject;
}

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

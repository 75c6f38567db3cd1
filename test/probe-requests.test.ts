import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../src/policy/load.ts';
import { resolveProbe } from '../src/policy/secrets.ts';
import { type ProbeTenant, probeConfig } from '../src/probe/config.ts';
import { runProbe } from '../src/probe/run.ts';
import {
  aliceAndBob,
  bearer,
  config,
  ID,
  readBody,
  Targets,
  tenant,
  who,
} from './support/probe-target.ts';

/** Requests without credentials, and requests other than GET. */

const targets = new Targets();
afterEach(() => targets.closeAll());

describe('requests with no credentials', () => {
  it('catch a cache that serves one credential kind to anyone', async () => {
    // Skips requests carrying Authorization or Cookie, stores everything else by path:
    // dave's API-key answer is handed to whoever comes next without those headers.
    const stored = new Map<string, string>();
    const target = await targets.serve((req, res) => {
      const bypass = req.headers.authorization || req.headers.cookie;
      const hit = bypass ? undefined : stored.get(req.url ?? '');
      if (hit) return res.end(hit);
      const user = req.headers['x-api-key'] === 'key-dave' ? 'dave' : who(req);
      if (!user) return res.writeHead(401).end('{}');
      const body = JSON.stringify({ id: `u-${user}`, email: `${user}@probe.example` });
      if (!bypass) stored.set(req.url ?? '', body);
      res.end(body);
    });
    // One tenant per credential kind: nobody else ever holds an API key.
    const tenants: ProbeTenant[] = [
      { ...tenant('alice', bearer('tok-a'), ['alice@probe.example']), identity: 'u-alice' },
      {
        ...tenant('dave', { headers: { 'x-api-key': 'key-dave' } }, ['dave@probe.example']),
        identity: 'u-dave',
      },
    ];
    const verdict = await runProbe(config(target, tenants, ['/orders']));
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak).toMatchObject({
      kind: 'served-to-anyone',
      owner: 'dave',
      request: { tenant: '(no credentials)', path: '/me' },
    });
    expect(verdict.leak?.summary).toMatch(/no credentials/);
    expect(JSON.stringify(verdict)).not.toContain('key-dave');
  });

  it('take refusals and public answers as clean samples', async () => {
    let anonymous = 0;
    const target = await targets.serve((req, res) => {
      const user = who(req);
      res.setHeader('cache-control', 'private');
      if (!user) {
        anonymous++;
        return res.writeHead(req.url === '/me' ? 401 : 200).end('{"public":true}');
      }
      res.end(JSON.stringify({ id: ID[user] }));
    });
    const verdict = await runProbe(config(target, aliceAndBob(), ['/catalog'], 300));
    expect(verdict.leak).toBeUndefined();
    expect(verdict.counters.failed).toBe(0);
    expect(verdict.counters.anonymous).toBe(anonymous);
    expect(anonymous).toBeGreaterThan(50);
  });
});

describe('requests other than GET', () => {
  const graphqlPolicy = `
apiVersion: vakt.dev/v1alpha1
kind: Policy
probe:
  target: http://127.0.0.1:1
  tenants:
    - { name: alice, identity: u-1, markers: [alice@probe.example], auth: { bearer: { value: tok-a } } }
    - { name: bob, identity: u-2, markers: [bob@probe.example], auth: { bearer: { value: tok-b } } }
  identity:
    path: /graphql
    graphql: { query: "query Me($k: String) { me { id } }", variables: { k: { env: API_SALT } }, operationName: Me }
    jsonPointer: /data/me/id
  endpoints:
    - /api/plain
    - { path: /api/search, method: PUT, form: { q: orders } }
    - { path: /graphql, headers: { X-Client: probe }, graphql: { query: "{ me { email } }" } }
`;

  it('probe a POST-only GraphQL API and catch its response cache', async () => {
    const seen: { method?: string; type?: string; body: string; client?: string }[] = [];
    const cache = new Map<string, string>();
    const target = await targets.serve(async (req, res) => {
      const body = await readBody(req);
      seen.push({
        method: req.method,
        type: req.headers['content-type'],
        body,
        client: req.headers['x-client'] as string | undefined,
      });
      const user = who(req);
      if (req.url === '/graphql') {
        if (req.method !== 'POST') return res.writeHead(405, { allow: 'POST' }).end();
        if (!user) return res.writeHead(401).end('{"errors":[{"message":"login"}]}');
        const { query } = JSON.parse(body) as { query: string };
        // The flaw: a response cache keyed by the query alone.
        const answer =
          cache.get(query) ??
          JSON.stringify({ data: { me: { id: ID[user], email: `${user}@probe.example` } } });
        if (query.includes('email')) cache.set(query, answer);
        return res.end(answer);
      }
      res.end('{}');
    });
    const loaded = parsePolicy(graphqlPolicy, 'graphql.yaml');
    if (!loaded.ok || !loaded.policy.probe) throw new Error(JSON.stringify(loaded));
    const resolved = resolveProbe(loaded.policy.probe, {
      env: { API_SALT: 'salt-secret-1234' },
      baseDir: '/',
    });
    const verdict = await runProbe(probeConfig(loaded.policy.probe, resolved, { target }));
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak).toMatchObject({
      kind: 'foreign-marker',
      request: { method: 'POST', path: '/graphql', tenant: 'bob' },
      owner: 'alice',
    });
    const identity = seen.find((s) => s.body.includes('Me'));
    expect(identity?.method).toBe('POST');
    expect(identity?.type).toBe('application/json');
    expect(JSON.parse(identity?.body ?? '{}')).toEqual({
      query: 'query Me($k: String) { me { id } }',
      variables: { k: 'salt-secret-1234' },
      operationName: 'Me',
    });
    expect(seen.find((s) => s.body.includes('email'))?.client).toBe('probe');
    expect(seen.find((s) => s.method === 'PUT')).toMatchObject({
      type: 'application/x-www-form-urlencoded',
      body: 'q=orders',
    });
    expect(seen.filter((s) => s.method === 'GET').every((s) => s.body === '')).toBe(true);
    expect(JSON.stringify(verdict)).not.toContain('salt-secret-1234');
  });

  it('read the identity out of a GraphQL answer and pass a correct API', async () => {
    const target = await targets.serve(async (req, res) => {
      await readBody(req);
      const user = who(req);
      if (req.method !== 'POST') return res.writeHead(405).end();
      res.setHeader('cache-control', 'private');
      res.end(JSON.stringify({ data: { me: user ? { id: ID[user] } : null } }));
    });
    const loaded = parsePolicy(
      graphqlPolicy
        .replace(/ {4}- \/api\/plain\n/, '')
        .replace(/ {4}- \{ path: \/api\/search.*\n/, ''),
      'graphql.yaml',
    );
    if (!loaded.ok || !loaded.policy.probe) throw new Error(JSON.stringify(loaded));
    const resolved = resolveProbe(loaded.policy.probe, { env: { API_SALT: 's' }, baseDir: '/' });
    const verdict = await runProbe(
      probeConfig(loaded.policy.probe, resolved, { target, requests: 300 }),
    );
    expect(verdict.leak).toBeUndefined();
    expect(verdict.counters.failed).toBe(0);
    expect(verdict.counters.checked).toBeGreaterThanOrEqual(300);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/probe/run.ts';
import {
  bearer,
  config,
  ID,
  jsonLogin,
  readBody,
  Targets,
  tenant,
  USERS,
  who,
} from './support/probe-target.ts';

const targets = new Targets();
afterEach(() => targets.closeAll());
const serve = targets.serve.bind(targets);

describe('body cap', () => {
  // A 256 KiB page where bob's e-mail sits either early or past the 64 KiB cap.
  const page = (markerAt: number) => {
    const body = Buffer.alloc(256 * 1024, 'x');
    body.write('bob@probe.example', markerAt);
    return body;
  };

  it.each([
    ['before the cap: found', 1000, 'leak'],
    ['past the cap: not read, and never a clean sample', 200 * 1024, 'inconclusive'],
  ])('a foreign marker %s', async (_name, markerAt, outcome) => {
    const target = await serve((req, res) => {
      const user = who(req);
      res.setHeader('cache-control', 'private');
      if (req.url === '/me') return res.end(JSON.stringify({ id: ID[user] }));
      res.end(user === 'alice' ? page(markerAt) : Buffer.alloc(256 * 1024, 'y'));
    });
    const tenants = [
      tenant('alice', bearer('tok-a'), ['alice@probe.example']),
      tenant('bob', bearer('tok-b'), ['bob@probe.example']),
    ];
    const verdict = await runProbe(config(target, tenants, ['/page']));
    expect(verdict.outcome).toBe(outcome);
    if (outcome === 'leak')
      expect(verdict.leak?.match).toMatchObject({
        owner: 'bob',
        where: 'body',
        offset: markerAt + 17,
      });
    else
      expect(verdict.warnings.some((w) => w.kind === 'capped-body' && w.path === '/page')).toBe(
        true,
      );
  });
});

describe('session crossover', () => {
  it('catches a login that hands out a session issued to another tenant', async () => {
    // Session issuance keyed wrongly: the first session made is handed to everyone.
    let first: string | undefined;
    const sessions = new Map<string, string>();
    const target = await serve((req, res) => {
      if (req.url === '/login') {
        void readBody(req).then((body) => {
          const { user } = JSON.parse(body) as { user: string };
          first ??= `sid-${Math.random().toString(16).slice(2)}`;
          if (!sessions.has(first)) sessions.set(first, user);
          res.setHeader('set-cookie', `sid=${first}; HttpOnly`);
          res.end('{}');
        });
        return;
      }
      const sid = /sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
      res.setHeader('cache-control', 'private');
      res.end(JSON.stringify({ id: ID[sessions.get(sid) ?? ''] }));
    });
    const verdict = await runProbe(
      config(target, [tenant('alice', jsonLogin('alice')), tenant('bob', jsonLogin('bob'))], []),
    );
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak).toMatchObject({
      kind: 'session-crossover',
      owner: 'alice',
      request: { tenant: 'bob', pattern: 'login' },
    });
    expect(verdict.leak?.headers['set-cookie']).toBe('sid=[redacted]');
    expect(JSON.stringify(verdict)).not.toContain(first);
  });
});

describe('foreign credential', () => {
  it('reports another tenant’s token in a response without printing it', async () => {
    const target = await serve((req, res) => {
      const user = who(req);
      res.setHeader('cache-control', 'private');
      if (req.url === '/me') return res.end(JSON.stringify({ id: ID[user] }));
      // A debug endpoint echoing the last caller's token.
      res.end(
        JSON.stringify({ lastToken: user === 'bob' ? 'tok-a-long-secret' : 'tok-b-long-secret' }),
      );
    });
    const tenants = [
      tenant('alice', bearer('tok-a-long-secret')),
      tenant('bob', bearer('tok-b-long-secret')),
    ];
    USERS['tok-a-long-secret'] = 'alice';
    USERS['tok-b-long-secret'] = 'bob';
    const verdict = await runProbe(config(target, tenants, ['/debug']));
    expect(verdict.leak).toMatchObject({
      kind: 'foreign-credential',
      match: { kind: 'credential', where: 'body' },
    });
    expect(JSON.stringify(verdict)).not.toMatch(/tok-[ab]-long-secret/);
  });
});

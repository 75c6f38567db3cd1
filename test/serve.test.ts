import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { prepareServe } from '../src/cli/serve-run.ts';
import { createLogger } from '../src/log.ts';
import type { ProbeConfig } from '../src/probe/config.ts';
import { noCounters, type ProbeVerdict } from '../src/probe/types.ts';
import { CanaryProbe } from '../src/serve/hooks.ts';
import { type ServeHandle, startServe } from '../src/serve/server.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { isDeployedCommitQuery } from './support/associated-pulls.ts';
import { answerDeployedCommit, MERGE } from './support/deployed-commit.ts';
import { captureIo } from './support/io.ts';
import { offline } from './support/offline.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

const API = 'https://api.github.test';
const GITHUB_TOKEN = 'ghp_serveTestToken1234567890';
const TOKEN = 'vakt-serve-token-5f1c9a7e3b2d4068';
const DIGEST = 'a'.repeat(64);

offline({ loopback: true });

/** The sample shop's probe section plus the gate's approval rules: one policy, both hooks. */
async function servePolicy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-serve-'));
  const file = join(dir, 'policy.yaml');
  const probe = await readFile(SAMPLE_POLICY, 'utf8');
  await writeFile(
    file,
    `${probe}\napproval:\n  minApprovals: 2\n  requireFrom:\n    - { teams: [acme/sre] }\n`,
  );
  return file;
}

interface Running {
  shop: Shop;
  serve: ServeHandle;
  logs: () => string;
}

async function serveFor(flaw?: 'cache-without-user'): Promise<Running> {
  const shop = await startShop(flaw ? { flaw } : {});
  const capture = captureIo({
    ...shopEnv(),
    VAKT_SERVE_TOKEN: TOKEN,
    GITHUB_TOKEN,
    GITHUB_API_URL: API,
    VAKT_GITHUB_RETRIES: '0',
  });
  const policy = await servePolicy();
  const options = await prepareServe(
    [
      ...['--policy', policy, '--canary', 'shop/shop', '--repo', 'acme/shop'],
      ...['--target', shop.url, '--host', '127.0.0.1', '--port', '0'],
    ],
    capture.io,
  );
  if (typeof options === 'number') throw new Error(`serve did not start: ${capture.stderr}`);
  const serve = await startServe(options);
  return { shop, serve, logs: () => capture.stderr };
}

let clean: Running;
let leaky: Running;
const answers: string[] = [];

beforeAll(async () => {
  clean = await serveFor();
  leaky = await serveFor('cache-without-user');
});
afterAll(async () => {
  for (const r of [clean, leaky]) {
    await r?.serve.close();
    await r?.shop.close();
  }
});

async function call(
  running: Running,
  hook: string,
  payload: unknown,
  init: { token?: string | null; header?: string; method?: string; raw?: string } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.header !== undefined) headers.authorization = init.header;
  else if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const response = await fetch(`${running.serve.url}/flagger/${hook}`, {
    method: init.method ?? 'POST',
    headers,
    ...(init.method !== 'GET' && { body: init.raw ?? JSON.stringify(payload) }),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, text };
}

/** A payload as Flagger sends it for the shop Canary. */
function flagger(metadata: Record<string, string> = {}) {
  return {
    name: 'shop',
    namespace: 'shop',
    phase: 'Progressing',
    checksum: '6d5f8c7b9',
    metadata,
  };
}

function logLines(running: Running): Record<string, unknown>[] {
  return running
    .logs()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('vakt serve: confirm-rollout runs the two-person gate', () => {
  it('says go (200) for a deployed commit with two qualified approvals', async () => {
    answerDeployedCommit(API);
    const out = await call(clean, 'confirm-rollout', flagger({ sha: MERGE }));
    expect(out.text).toMatch(/^vakt gate: APPROVED {2}2\/2 qualified approvals/);
    expect(out.status).toBe(200);
    expect(nock.isDone()).toBe(true);
  });

  it('halts (403) and says what is missing when one approval is short', async () => {
    answerDeployedCommit(API, { approvals: 1 });
    const out = await call(clean, 'confirm-rollout', flagger({ sha: MERGE }));
    expect(out.status).toBe(403);
    expect(out.text).toMatch(/^vakt gate: DENIED .*needs 1 more approval/);
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('asks again before promotion (confirm-promotion): re-decided, not remembered', async () => {
    answerDeployedCommit(API);
    expect((await call(clean, 'confirm-promotion', flagger({ sha: MERGE }))).status).toBe(200);
    answerDeployedCommit(API, { approvals: 1 });
    expect((await call(clean, 'confirm-promotion', flagger({ sha: MERGE }))).status).toBe(403);
  });

  it('fails closed (503) when GitHub cannot answer', async () => {
    nock(API)
      .post('/graphql', isDeployedCommitQuery)
      .reply(502, {})
      .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
      .query(true)
      .reply(502, {});
    const out = await call(clean, 'confirm-rollout', flagger({ sha: MERGE }));
    expect(out.status).toBe(503);
    expect(out.text).toMatch(/^vakt gate: UNDECIDED/);
  });

  it('refuses (400) a webhook whose metadata names no revision, or a bad one', async () => {
    const none = await call(clean, 'confirm-rollout', flagger({}));
    expect(none.status).toBe(400);
    expect(none.text).toMatch(/names no revision: give metadata.image .* or metadata.sha/);
    const tag = await call(clean, 'confirm-rollout', flagger({ image: 'ghcr.io/acme/shop:v2' }));
    expect(tag.status).toBe(400);
    expect(tag.text).toMatch(/metadata.image "ghcr.io\/acme\/shop:v2" is not pinned by digest/);
    const sha = await call(clean, 'confirm-rollout', flagger({ sha: 'main' }));
    expect(sha.status).toBe(400);
  });

  it('refuses (400) an image when the policy says no workflow to verify it against', async () => {
    const image = `ghcr.io/acme/shop@sha256:${DIGEST}`;
    const out = await call(clean, 'confirm-rollout', flagger({ image }));
    expect(out.status).toBe(400);
    expect(out.text).toMatch(/has no approval.provenance/);
  });
});

describe('vakt serve: pre-rollout and rollout run the probe against the canary', () => {
  it('says go (200) for a clean canary, with the leak-rate bound', async () => {
    const out = await call(clean, 'pre-rollout', flagger());
    expect(out.text).toMatch(/^vakt probe: PASS/);
    expect(out.status).toBe(200);
  });

  it('halts (422) at the first leak and names it in one line', async () => {
    const out = await call(leaky, 'pre-rollout', flagger());
    expect(out.status).toBe(422);
    expect(out.text).toMatch(/^vakt probe: LEAK/);
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('joins calls that arrive while a probe runs instead of doubling the load', async () => {
    const runs = () => logLines(leaky).filter((l) => l.msg === 'probe run finished').length;
    const before = runs();
    const [a, b] = await Promise.all([
      call(leaky, 'rollout', flagger()),
      call(leaky, 'rollout', flagger()),
    ]);
    expect([a.status, b.status]).toEqual([422, 422]);
    expect(a.text).toBe(b.text);
    expect(runs()).toBe(before + 1);
    // Once it has answered, the next call probes afresh.
    await call(leaky, 'rollout', flagger());
    expect(runs()).toBe(before + 2);
  });
});

describe('vakt serve: a probe run answers only for the revision it began on', () => {
  /** A verdict as a run ends with one: a pass, or the inconclusive of a stopped run. */
  function verdict(outcome: 'pass' | 'inconclusive'): ProbeVerdict {
    return {
      outcome,
      reason:
        outcome === 'pass' ? 'no leak in 400 checked responses' : 'stopped before it finished',
      target: 'http://shop-canary.shop',
      tenants: ['alice', 'bob'],
      startedAt: '2026-11-02T10:12:09.000Z',
      durationMs: 1200,
      counters: { ...noCounters(), sent: 400, checked: 400 },
      leakRateBound: outcome === 'pass' ? 0.0075 : null,
      confidence: 0.95,
      maxLeakRate: 0.01,
      warnings: [],
      failures: [],
      latencyMs: { p50: 2, p99: 9, max: 12 },
      protocols: ['http/1.1'],
    };
  }

  it('stops a run when Flagger asks for another revision, and probes that one afresh', async () => {
    // Runs held until the test ends them, so which call got which run is certain.
    const runs: { signal: AbortSignal; end: (v: ProbeVerdict) => void }[] = [];
    const run = (_config: ProbeConfig, hooks: { signal: AbortSignal }) =>
      new Promise<ProbeVerdict>((end) => {
        runs.push({ signal: hooks.signal, end });
        hooks.signal.addEventListener('abort', () => end(verdict('inconclusive')), { once: true });
      });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    const probe = new CanaryProbe(
      {} as ProbeConfig,
      createLogger({ destination: quiet }),
      new AbortController().signal,
      run,
    );

    // Flagger's call for revision A timed out, and it called again for A: one run.
    const first = probe.answer('checksum-a');
    const retried = probe.answer('checksum-a');
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    // Meanwhile A was replaced by B: the run that began on A's pods must not answer for B.
    const next = probe.answer('checksum-b');
    expect((await first).status).toBe(503);
    expect((await retried).status).toBe(503);
    expect(runs[0]?.signal.aborted).toBe(true);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    runs[1]?.end(verdict('pass'));
    const answer = await next;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^vakt probe: PASS/);
  });
});

describe('vakt serve: only callers with the token', () => {
  it.each([
    ['no token at all', { token: null }, flagger()],
    ['a wrong bearer token', { token: `${TOKEN}x` }, flagger()],
    [
      'another scheme',
      { header: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      flagger({ token: TOKEN }),
    ],
    ['a wrong metadata.token', { token: null }, flagger({ token: 'guess-guess-guess-guess-1' })],
    ['an empty bearer', { header: 'Bearer ' }, flagger()],
  ] as const)('is a 401 for %s, and nothing runs', async (_, init, payload) => {
    const requests = clean.shop.stats.requests;
    const out = await call(clean, 'pre-rollout', payload, init);
    expect(out.status).toBe(401);
    expect(clean.shop.stats.requests).toBe(requests);
  });

  it('takes the token from metadata.token, as Flagger can only send it there', async () => {
    answerDeployedCommit(API);
    const out = await call(clean, 'confirm-rollout', flagger({ token: TOKEN, sha: MERGE }), {
      token: null,
    });
    expect(out.status).toBe(200);
  });
});

describe('vakt serve: bad input is a 4xx and one log line, never a go', () => {
  it.each([
    ['a body that is not JSON', 'rollout', { raw: '{"name": "shop",' }, 400, /not JSON/],
    ['a JSON array', 'rollout', { raw: '[]' }, 400, /not a JSON object/],
    [
      'a payload without a name',
      'rollout',
      { raw: '{"namespace":"shop"}' },
      400,
      /"name" is missing/,
    ],
    [
      'a name that is no object name',
      'rollout',
      { raw: '{"name":"Shop!","namespace":"shop"}' },
      400,
      /"name" is wrong/,
    ],
    [
      'metadata that is not strings',
      'confirm-rollout',
      { raw: '{"name":"shop","namespace":"shop","metadata":{"sha":1}}' },
      400,
      /"metadata.sha" is wrong/,
    ],
    ['an unknown webhook type', 'post-rollout', {}, 404, /unknown webhook type "post-rollout"/],
    [
      'another Canary',
      'rollout',
      { raw: '{"name":"cart","namespace":"shop"}' },
      404,
      /answers for shop\/shop, not shop\/cart/,
    ],
    ['a GET', 'rollout', { method: 'GET' }, 405, /POSTs/],
    [
      'a body over 64 KiB',
      'rollout',
      { raw: JSON.stringify({ ...flagger(), pad: 'x'.repeat(70_000) }) },
      413,
      /over 65536 bytes/,
    ],
  ] as const)('%s', async (_, hook, init, status, message) => {
    const before = logLines(clean).length;
    const requests = clean.shop.stats.requests;
    const out = await call(clean, hook, flagger(), init);
    expect(out.status).toBe(status);
    expect(out.text).toMatch(message);
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(clean.shop.stats.requests).toBe(requests);
    const lines = logLines(clean).slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, status, hook });
    // Still up and answering.
    expect((await fetch(`${clean.serve.url}/healthz`)).status).toBe(200);
  });
});

describe('vakt serve: secrets', () => {
  it('never writes the token, the GitHub token or a tenant credential to a log or answer', () => {
    const secrets = [TOKEN, GITHUB_TOKEN, ...shopSecrets()];
    const everything = [clean.logs(), leaky.logs(), ...answers].join('\n');
    expect(answers.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // Every request left a line that says how it was answered.
    expect(logLines(clean).some((l) => l.hook === 'confirm-rollout' && l.status === 200)).toBe(
      true,
    );
  });
});

describe('vakt serve: start-up checks', () => {
  const policy = resolve(import.meta.dirname, 'fixtures/policies/gate.yaml');
  const base = ['serve', '--policy', policy, '--canary', 'shop/shop', '--repo', 'acme/shop'];
  async function serve(args: string[], env: Record<string, string>) {
    const capture = captureIo(env);
    const code = await main(args, capture.io);
    return { code, stderr: capture.stderr };
  }

  it.each([
    [
      [],
      {},
      /^vakt serve: no token for callers: mount one and pass --auth-token-file FILE, or set VAKT_SERVE_TOKEN\n$/,
    ],
    [
      [],
      { VAKT_SERVE_TOKEN: 'short' },
      /VAKT_SERVE_TOKEN: the token must be at least 24 characters/,
    ],
    [['--auth-token-file', '/nonexistent/token'], {}, /--auth-token-file: cannot read/],
    [[], { VAKT_SERVE_TOKEN: TOKEN }, /no GitHub token: set GITHUB_TOKEN/],
    [
      ['--canary', 'shop'],
      { VAKT_SERVE_TOKEN: TOKEN },
      /--canary expects NAMESPACE\/NAME, got "shop"/,
    ],
    [['--port', '70000'], { VAKT_SERVE_TOKEN: TOKEN }, /--port expects 0 to 65535/],
  ])('refuses %j %j with exit 2 and one line', async (extra, env, message) => {
    const out = await serve([...base, ...extra], env as Record<string, string>);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).not.toContain(TOKEN);
  });

  it('reads the token from a mounted file, trailing newline and all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-serve-token-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const capture = captureIo({ GITHUB_TOKEN, GITHUB_API_URL: API });
    const options = await prepareServe(
      [
        '--policy',
        policy,
        '--canary',
        'shop/shop',
        '--repo',
        'acme/shop',
        '--auth-token-file',
        join(dir, 'token'),
      ],
      capture.io,
    );
    expect(typeof options === 'object' && options.token).toBe(TOKEN);
  });
});

// vakt serve's answer time for Flagger's confirm-rollout: a payload over loopback HTTP,
// the two-person gate against GitHub faked with nock (the same recorded answers as the
// tests), the verdict's line back. What Flagger waits for before a canary may start.
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import nock from 'nock';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import { createLogger } from '../src/log.ts';
import { startServe } from '../src/serve/server.ts';
import { answerDeployedCommit, MERGE } from '../test/support/deployed-commit.ts';
import { type Figure, median } from './support.ts';

const API = 'https://api.github.test';
const TOKEN = 'bench-serve-token-0123456789abcdef';
const CALLS = 200;
const WARM_UP = 10;

export async function benchServe(): Promise<Figure[]> {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
  answerDeployedCommit(API, { persist: true });
  const policy = ApprovalSpec.parse({ minApprovals: 2, requireFrom: [{ teams: ['acme/sre'] }] });
  const octokit = await createGitHub({ token: 'ghp_bench', baseUrl: API, retries: false });
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startServe({
    port: 0,
    host: '127.0.0.1',
    token: TOKEN,
    canary: { namespace: 'shop', name: 'shop' },
    gate: { octokit, policy, policyFile: 'bench', owner: 'acme', repo: 'shop' },
    log: createLogger({ destination: quiet }),
    secrets: [],
  });
  const body = JSON.stringify({
    name: 'shop',
    namespace: 'shop',
    phase: 'Progressing',
    checksum: '6d5f8c7b9',
    metadata: { token: TOKEN, sha: MERGE },
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + CALLS; i++) {
      const t0 = performance.now();
      const response = await fetch(`${server.url}/flagger/confirm-rollout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.text();
      if (response.status !== 200) throw new Error(`confirm-rollout answered ${response.status}`);
      if (i >= WARM_UP) times.push(performance.now() - t0);
    }
  } finally {
    await server.close();
    nock.cleanAll();
    nock.enableNetConnect();
  }
  times.sort((a, b) => a - b);
  return [
    {
      name: 'vakt serve confirm-rollout answer time, GitHub via nock',
      value: median(times),
      unit: 'ms median',
      note: `${CALLS} calls one after another; p95 ${(times[Math.floor(CALLS * 0.95)] ?? 0).toFixed(1)} ms`,
    },
  ];
}

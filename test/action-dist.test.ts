import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_BUNDLE, actionBundle } from '../scripts/bundle.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import { runStep, WORKFLOW_SHA } from './support/action-step.ts';
import { type FakeGitHub, startFakeGitHub } from './support/fake-github.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

const TOKEN = 'ghs_actionTestToken0123456789abcdef';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const MERGE = WORKFLOW_SHA;
const GATE_POLICY = 'test/fixtures/policies/gate.yaml';

const WORLD = {
  pullRequest,
  permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' } as const,
  teams: { 'acme/sre': ['carol'] },
  commitPulls: { [MERGE]: commitPulls },
};

let github: FakeGitHub | undefined;
let shop: Shop | undefined;
afterEach(async () => {
  await github?.close();
  await shop?.close();
  github = shop = undefined;
});

describe('the bundled Action', () => {
  it('is dist/action.js as built from the sources (run npm run bundle when this fails)', async () => {
    const committed = await readFile(ACTION_BUNDLE, 'utf8');
    expect(committed === (await actionBundle())).toBe(true);
  });

  it('approves the pull request of a review event, with outputs, summary and status', async () => {
    github = await startFakeGitHub(WORLD);
    const step = await runStep(
      { command: 'gate', policy: GATE_POLICY, token: TOKEN, 'post-status': 'true' },
      {
        name: 'pull_request_review',
        payload: { action: 'submitted', pull_request: { number: 42 } },
      },
      { GITHUB_API_URL: github.url },
    );
    expect(step.stderr).toBe('');
    expect(step.code).toBe(0);
    expect(step.outputs.verdict).toBe('approved');
    expect(step.outputs.approvers?.split(',').sort()).toEqual(['bob', 'carol']);
    expect(step.outputs.requests).toBe('4');
    expect(JSON.parse(await readFile(step.outputs.report ?? '', 'utf8'))).toMatchObject({
      outcome: 'approved',
    });
    expect(step.summary).toContain('| Verdict | approved |');
    expect(step.summary).toContain('| Counted | @bob, @carol |');
    expect(step.stdout).toContain('::notice title=vakt gate%3A approved::approved by @');
    expect(github.statuses).toEqual([
      expect.objectContaining({ sha: HEAD, state: 'success', context: 'vakt/two-person' }),
    ]);
    expect(github.authorizations).toEqual(new Set([`token ${TOKEN}`]));
    expect(step.masked).toEqual([TOKEN]);
    for (const text of [step.stdout, step.stderr, step.summary, step.files]) {
      expect(text).not.toContain(TOKEN);
    }
  });

  it('denies a push whose commit is not a merge commit, and fails the step', async () => {
    github = await startFakeGitHub({ ...WORLD, commitPulls: {} });
    const step = await runStep(
      { policy: GATE_POLICY, token: TOKEN },
      { name: 'push', payload: { after: MERGE, ref: 'refs/heads/main' } },
      { GITHUB_API_URL: github.url },
    );
    expect(step.code).toBe(1);
    expect(step.outputs.verdict).toBe('denied');
    expect(step.stdout).toMatch(
      /::error title=vakt gate%3A denied::no pull request contains 4b825dc/,
    );
    expect(step.stdout).toContain('::error::vakt gate exited 1: verdict denied');
    // GraphQL lists no pull request, which settles nothing: REST's list is read to be sure.
    expect(github.requests).toEqual([
      'POST /graphql',
      `GET /repos/acme/shop/commits/${MERGE}/pulls`,
    ]);
  });

  it('is undecided, exit 3, when GitHub cannot be reached', async () => {
    const step = await runStep(
      { policy: GATE_POLICY, token: TOKEN, pr: '42' },
      { name: 'workflow_dispatch', payload: {} },
      { GITHUB_API_URL: 'http://127.0.0.1:9' },
    );
    expect(step.code).toBe(3);
    expect(step.outputs.verdict).toBe('undecided');
    expect(step.summary).toContain('could not reach GitHub');
  });

  it('rejects bad inputs with exit 2 and one error line', async () => {
    const step = await runStep(
      { command: 'deploy', policy: GATE_POLICY, token: TOKEN },
      { name: 'push', payload: {} },
    );
    expect(step.code).toBe(2);
    expect(step.stdout.trim()).toBe(
      '::error::vakt: input "command" must be gate or probe, got "deploy"',
    );
    expect(step.outputs.verdict).toBe('invalid');
    const garbled = await runStep(
      { policy: GATE_POLICY, token: TOKEN },
      { name: 'pull_request', payload: null, raw: '{"pull_request": {"number": 4' },
    );
    expect(garbled.code).toBe(2);
    expect(garbled.stdout.trim()).toBe(
      '::error::vakt: the event payload in GITHUB_EVENT_PATH is not valid JSON',
    );
    expect(garbled.stderr).toBe('');
    expect(garbled.outputs.verdict).toBe('invalid');
    const noToken = await runStep({ policy: GATE_POLICY, pr: '42' }, { name: 'push', payload: {} });
    expect(noToken.code).toBe(2);
    expect(noToken.outputs.verdict).toBe('invalid');
    expect(noToken.stderr).toContain('no GitHub token');
  });

  it('probes a canary, runs the revert command at the leak and reports it', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    const marker = join(await mkdtemp(join(tmpdir(), 'vakt-revert-')), 'reverted');
    const step = await runStep(
      {
        command: 'probe',
        policy: SAMPLE_POLICY,
        target: shop.url,
        'revert-command': `echo "$VAKT_LEAK_KIND" > ${marker}`,
      },
      { name: 'deployment_status', payload: {} },
      shopEnv(),
    );
    expect(step.code).toBe(1);
    expect(step.outputs.verdict).toBe('leak');
    expect(step.outputs.leaks).toBe('1');
    expect(Number(step.outputs.requests)).toBeGreaterThan(0);
    expect(step.outputs['leak-rate-bound']).toBe('');
    expect((await readFile(marker, 'utf8')).trim()).toMatch(/^[a-z-]+$/);
    expect(step.stdout).toContain('::error title=vakt probe%3A cross-tenant leak::');
    expect(step.summary).toContain('| Verdict | leak |');
    expect(step.summary).toContain('| Revert command | exited 0 |');
    for (const secret of shopSecrets()) {
      for (const text of [step.stdout, step.stderr, step.summary, step.files]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('fails with exit 4 and an error saying so when the revert command fails or times out', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    const probe = { command: 'probe', policy: SAMPLE_POLICY, target: shop.url };
    const event = { name: 'deployment_status', payload: {} };
    // The output may hold anything the command was given: no annotation repeats it.
    const failed = await runStep(
      { ...probe, 'revert-command': 'echo "token=$ALICE_TOKEN-from-revert"; exit 7' },
      event,
      shopEnv(),
    );
    expect(failed.code).toBe(4);
    expect(failed.outputs.verdict).toBe('leak');
    expect(failed.stdout).toContain(
      '::error title=vakt probe%3A revert command failed::the revert command exited 7: the leaking release may still be serving',
    );
    expect(failed.stdout).toContain(
      '::error::vakt probe exited 4: verdict leak, and the revert command exited 7',
    );
    expect(failed.summary).toContain('| Revert command | exited 7 |');

    const slow = await runStep(
      { ...probe, 'revert-command': 'sleep 30', 'revert-timeout': '200ms' },
      event,
      shopEnv(),
    );
    expect(slow.code).toBe(4);
    expect(slow.stdout).toMatch(
      /^::error title=vakt probe%3A revert command timed out::the revert command timed out after 200ms and was stopped with SIGTERM: the leaking release may still be serving$/m,
    );
    for (const step of [failed, slow]) {
      const annotations = step.stdout.split('\n').filter((l) => l.startsWith('::'));
      for (const line of annotations) expect(line).not.toMatch(/from-revert|sleep 30|echo/);
      for (const secret of shopSecrets()) {
        for (const text of [step.stdout, step.summary, step.files])
          expect(text).not.toContain(secret);
      }
    }

    const unitless = await runStep(
      { ...probe, 'revert-command': 'true', 'revert-timeout': '90' },
      event,
      shopEnv(),
    );
    expect(unitless.code).toBe(2);
    expect(unitless.stdout).toContain('--on-leak-timeout needs a unit: 90s, for example');
  });
});

import { createHash } from 'node:crypto';
import nock from 'nock';
import type { Operator } from '../../src/operator/operator.ts';
import type { PodTemplate } from '../../src/release/template.ts';
import POLICY from '../fixtures/operator/policy.json' with { type: 'json' };
import { deployedCommitAnswer, isDeployedCommitQuery } from './associated-pulls.ts';
import {
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
  pullRequestAnswer,
  replyApprovers,
  staff,
} from './github-answers.ts';

/**
 * What the operator tests share: the acme/shop releases (one commit each), the
 * ReleaseGuard spec they start from, and GitHub as nock answers it about those commits.
 */

export const API = 'https://api.github.com';
export const GITHUB_TOKEN = 'ghp_operator_test_token_0123456789';

const hex = (seed: string) => seed.repeat(40).slice(0, 40);
export const SHA = {
  v1: hex('a1'),
  v2: hex('b2'),
  leak: hex('c3'),
  v4: hex('d4'),
  v5: hex('e5'),
  v6: hex('f6'),
  v7: hex('a7'),
  v8: hex('b8'),
};
/** Made-up but well-formed: releases name images by digest, as vakt requires. */
export const digestOf = (tag: string) => `sha256:${createHash('sha256').update(tag).digest('hex')}`;
export const image = (tag: string) => `ghcr.io/acme/shop:${tag}@${digestOf(tag)}`;

export function template(sha: string, tag: string): PodTemplate {
  return {
    metadata: { labels: { app: 'shop' }, annotations: { 'vakt.dev/revision': sha } },
    spec: { containers: [{ name: 'shop', image: image(tag), ports: [{ containerPort: 8080 }] }] },
  };
}

export function spec(overrides: Record<string, unknown> = {}) {
  return {
    targetRef: { name: 'shop' },
    service: { port: 8080 },
    policy: { inline: POLICY },
    tenantsSecretRef: { name: 'shop-tenants' },
    source: { repository: 'acme/shop' },
    probe: { guardInterval: '1s' },
    bakeTime: '1s',
    ...overrides,
  };
}

/** A metric's value as the operator's /metrics would show it (0 when absent). */
export async function metric(op: Operator, name: string, labels = ''): Promise<number> {
  const text = await op.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

// --- GitHub, as nock answers it ---------------------------------------------------------

/** Who approved the pull request merged as each commit; what GitHub was asked and received. */
export const github = {
  approvers: new Map<string, string[]>(),
  /** Pull requests looked up, by commit: each is one question to the two-person gate. */
  asked: new Map<string, number>(),
  /** Called as the gate asks about `sha` for the `n`th time, before GitHub answers. */
  onAsk: undefined as ((sha: string, n: number) => void) | undefined,
  statuses: [] as { sha: string; state: string; context: string; description: string }[],
  reset(): void {
    this.approvers.clear();
    this.asked.clear();
    this.onAsk = undefined;
    this.statuses.length = 0;
  },
  /** The commit statuses `sha` got in one context, as [context, state] pairs. */
  statusesOf(sha: string, context?: string): [string, string][] {
    return this.statuses
      .filter((s) => s.sha === sha && (context === undefined || s.context === context))
      .map((s) => [s.context, s.state]);
  },
};

const shas = Object.values(SHA);
const prOf = (sha: string) => 100 + shas.indexOf(sha);
const headOf = (sha: string) => hex(`e${(shas.indexOf(sha) + 1).toString(16)}`);

function pullFor(sha: string) {
  const repo = {
    name: 'shop',
    full_name: 'acme/shop',
    default_branch: 'main',
    owner: { login: 'acme' },
  };
  return {
    number: prOf(sha),
    state: 'closed',
    merged_at: '2026-11-20T10:00:00Z',
    merge_commit_sha: sha,
    head: { ref: 'feature', sha: headOf(sha), repo },
    base: { ref: 'main', sha: hex('0'), repo },
    user: { login: 'alice', type: 'User' },
  };
}

function pullRequestOf(number: number) {
  const sha = shas.find((s) => prOf(s) === number) ?? hex('9');
  const head = headOf(sha);
  const reviews = (github.approvers.get(sha) ?? []).map((login, i) => ({
    databaseId: number * 10 + i,
    state: 'APPROVED',
    submittedAt: '2026-11-20T09:00:00Z',
    author: { login, __typename: 'User' },
    commit: { oid: head },
  }));
  return pullRequestAnswer({
    number,
    author: 'alice',
    head,
    merge: sha,
    commit: { oid: head, message: 'Change the shop', author: staff('alice') },
    reviews,
    files: ['src/shop.ts'],
  });
}

/** Answers the gate's questions about acme/shop and records the commit statuses posted. */
export function mockGitHub(): void {
  // First: the GraphQL body filters below would throw on a status's body.
  nock(API)
    .persist()
    .post(/\/repos\/acme\/shop\/statuses\/[0-9a-f]{40}/)
    .reply(async (request: Request) => {
      const sha = /statuses\/([0-9a-f]{40})/.exec(request.url)?.[1] ?? '';
      const body = (await request.json()) as {
        state: string;
        context: string;
        description: string;
      };
      github.statuses.push({ sha, ...body });
      return [201, { id: github.statuses.length }];
    });
  const ask = (sha: string) => {
    const n = (github.asked.get(sha) ?? 0) + 1;
    github.asked.set(sha, n);
    github.onAsk?.(sha, n);
  };
  nock(API)
    .persist()
    // The gate asks GraphQL first; REST stays for a commit it cannot settle that way.
    .post('/graphql', isDeployedCommitQuery)
    .reply(async (request: Request) => {
      const sha = String(((await request.json()) as GraphqlBody).variables.sha);
      ask(sha);
      const pull = pullFor(sha);
      return [200, deployedCommitAnswer(sha, [pull], pullRequestOf(pull.number))];
    })
    .get(/\/repos\/acme\/shop\/commits\/[0-9a-f]{40}\/pulls/)
    .query(true)
    .reply((request: Request) => {
      const sha = /commits\/([0-9a-f]{40})/.exec(request.url)?.[1] ?? '';
      ask(sha);
      return [200, [pullFor(sha)]];
    })
    // Nobody but alice, who opened them, pushed to the pull requests' branches.
    .get('/repos/acme/shop/activity')
    .query(true)
    .reply(200, [])
    .post('/graphql', isPullRequestQuery)
    .reply(async (request: Request) => {
      const body = (await request.json()) as { variables: { number: number } };
      return [200, pullRequestOf(body.variables.number)];
    })
    .post('/graphql', isApproversQuery)
    .reply(
      replyApprovers({
        pullRequest: null,
        permissions: { alice: 'write', bob: 'write', carol: 'admin', dave: 'write' },
        teams: {},
      }),
    );
}

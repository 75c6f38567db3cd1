import { resolve } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import {
  graphqlRetryAfter,
  isGraphqlPath,
  isGraphqlRateLimit,
} from '../src/github/graphql-limits.ts';
import {
  MAX_RATE_LIMIT_RETRIES,
  MAX_RATE_LIMIT_WAIT_S,
  resetTime,
  retryAfterRateLimit,
} from '../src/github/rate-limit.ts';
import activity from './fixtures/github/activity.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import { answerActivity } from './support/activity.ts';
import { isApproversQuery, isPullRequestQuery, replyApprovers } from './support/github-answers.ts';
import { captureIo } from './support/io.ts';
import { offline } from './support/offline.ts';

/**
 * Rate limits as GitHub answers them, against the gate as shipped (retry and throttling
 * on): a short wait is waited out, a long one is an undecided verdict at once, and
 * stderr stays empty either way.
 */

const API = 'https://api.github.test';
const TOKEN = 'ghp_rateLimitTestToken0123456789';
const POLICY = resolve(import.meta.dirname, 'fixtures/policies/gate.yaml');
const ARGS = ['gate', '--policy', POLICY, '--repo', 'acme/shop', '--pr', '42'];
// Retries stay on: VAKT_GITHUB_RETRIES is not set.
const ENV = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: API };

offline();
answerActivity(API, activity);

async function gate() {
  const capture = captureIo(ENV);
  const code = await main(ARGS, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

function mockReviewers() {
  nock(API)
    .post('/graphql', isApproversQuery)
    .reply(
      replyApprovers({
        pullRequest,
        permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
        teams: { 'acme/sre': ['carol'] },
      }),
    );
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** GitHub's headers on a spent primary quota. */
function spent(reset: number) {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-used': '5000',
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': 'graphql',
  };
}

const SECONDARY = {
  message:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  documentation_url:
    'https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits',
};

describe('retryAfterRateLimit', () => {
  it.each([
    [1, 0, true],
    [MAX_RATE_LIMIT_WAIT_S, 0, true],
    [MAX_RATE_LIMIT_WAIT_S + 1, 0, false],
    [3600, 0, false],
    [1, MAX_RATE_LIMIT_RETRIES - 1, true],
    [1, MAX_RATE_LIMIT_RETRIES, false],
  ])('waits %i s on retry %i: %s', (after, count, expected) => {
    expect(retryAfterRateLimit(after, count)).toBe(expected);
  });
});

describe('GraphQL rate limit answers', () => {
  const now = 1_800_000_000_000;
  it.each([
    [{ 'retry-after': '3' }, 3],
    [{ 'x-ratelimit-reset': String(now / 1000 + 10) }, 11],
    [{ 'x-ratelimit-reset': String(now / 1000 - 10) }, 0],
    [{ 'retry-after': '2', 'x-ratelimit-reset': String(now / 1000 + 3600) }, 2],
    [{}, undefined],
  ])('%j asks to wait %s s', (headers, seconds) => {
    expect(graphqlRetryAfter(headers, now)).toBe(seconds);
  });

  it('knows both error types and both endpoints', () => {
    expect(isGraphqlRateLimit({ errors: [{ type: 'RATE_LIMIT' }] })).toBe(true);
    expect(isGraphqlRateLimit({ errors: [{ type: 'RATE_LIMITED' }] })).toBe(true);
    expect(isGraphqlRateLimit({ errors: [{ type: 'FORBIDDEN' }] })).toBe(false);
    expect(isGraphqlRateLimit({ data: {} })).toBe(false);
    expect(isGraphqlPath('https://api.github.com/graphql')).toBe(true);
    expect(isGraphqlPath('https://ghe.example.com/api/graphql')).toBe(true);
    expect(isGraphqlPath('/repos/acme/shop/commits/abc/pulls')).toBe(false);
  });
});

describe('vakt gate under rate limits', () => {
  it('fails closed at once when the quota resets in an hour, and says until when', async () => {
    const reset = inAnHour();
    // Registered once: a retry would find no answer and change the reason.
    const limited = nock(API)
      .post('/graphql', isPullRequestQuery)
      .reply(
        403,
        { message: 'API rate limit exceeded for installation ID 77.' },
        { ...spent(reset), 'content-type': 'application/json; charset=utf-8' },
      );
    const out = await gate();
    expect(limited.isDone()).toBe(true);
    expect(out.code).toBe(3);
    expect(out.stdout).toMatch(
      new RegExp(
        `^vakt gate: UNDECIDED {2}could not read pull request #42: GitHub rate limit exhausted until ${resetTime(reset)}\\n`,
      ),
    );
    expect(resetTime(reset)).toMatch(/^\d\d:\d\d:\d\d UTC$/);
    expect(out.stderr).toBe('');
  });

  it('reads a GraphQL RATE_LIMITED answer the same way', async () => {
    const reset = inAnHour();
    nock(API)
      .post('/graphql', isPullRequestQuery)
      .reply(
        200,
        {
          data: null,
          errors: [
            { type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 4417021.' },
          ],
        },
        spent(reset),
      );
    const out = await gate();
    expect(out.code).toBe(3);
    expect(out.stdout).toContain(`GitHub rate limit exhausted until ${resetTime(reset)}`);
    expect(out.stderr).toBe('');
  });

  it('waits out a secondary limit that asks for a second, then decides', async () => {
    const api = nock(API)
      .post('/graphql', isPullRequestQuery)
      .reply(403, SECONDARY, { 'retry-after': '1' })
      .post('/graphql', isPullRequestQuery)
      .reply(200, pullRequest);
    mockReviewers();
    const out = await gate();
    expect(api.isDone()).toBe(true);
    expect(out.stdout).toMatch(/^vakt gate: APPROVED/);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
  });

  it('fails closed at once when a secondary limit asks for an hour', async () => {
    nock(API).post('/graphql', isPullRequestQuery).reply(403, SECONDARY, { 'retry-after': '3600' });
    const out = await gate();
    expect(out.code).toBe(3);
    expect(out.stdout).toContain('GitHub secondary rate limit reached: it asked to wait 3600 s');
    expect(out.stderr).toBe('');
  });

  it(`gives up after ${MAX_RATE_LIMIT_RETRIES} retries of a limit that does not lift`, async () => {
    const api = nock(API)
      .post('/graphql', isPullRequestQuery)
      .times(1 + MAX_RATE_LIMIT_RETRIES)
      .reply(429, SECONDARY, { 'retry-after': '1' });
    const out = await gate();
    expect(api.isDone()).toBe(true);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain('GitHub secondary rate limit reached: it asked to wait 1 s');
    expect(out.stderr).toBe('');
  });
});

/** A nock reply that counts the requests it answers. */
function counted(answers: [number, unknown, Record<string, string>][]) {
  const seen = { count: 0 };
  const reply = (): [number, unknown, Record<string, string>] => {
    const answer = answers[Math.min(seen.count, answers.length - 1)] as (typeof answers)[number];
    seen.count += 1;
    return answer;
  };
  return { seen, reply };
}

/** GitHub's GraphQL primary limit as it also reports it: type RATE_LIMIT, a 200, no spent header. */
const RATE_LIMIT_BODY = {
  errors: [
    {
      type: 'RATE_LIMIT',
      code: 'graphql_rate_limit',
      message: 'API rate limit already exceeded for user ID 4417021.',
    },
  ],
};
const RATE_LIMITED_BODY = {
  data: null,
  errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 4417021.' }],
};
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

describe('GraphQL rate limits GitHub reports as RATE_LIMIT', () => {
  it('waits out a RATE_LIMIT answer that asks for a second, then decides', async () => {
    const main = counted([
      [200, RATE_LIMIT_BODY, { ...JSON_TYPE, 'retry-after': '1' }],
      [200, pullRequest, JSON_TYPE],
    ]);
    nock(API).post('/graphql', isPullRequestQuery).times(2).reply(main.reply);
    mockReviewers();
    const out = await gate();
    expect(main.seen.count).toBe(2);
    expect(out.stdout).toMatch(/^vakt gate: APPROVED/);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
  });

  it('says the limit is exhausted, and until when, when RATE_LIMIT resets in an hour', async () => {
    const reset = inAnHour();
    const main = counted([
      [200, RATE_LIMIT_BODY, { ...JSON_TYPE, 'x-ratelimit-reset': String(reset) }],
    ]);
    nock(API).post('/graphql', isPullRequestQuery).times(3).reply(main.reply);
    const out = await gate();
    expect(main.seen.count).toBe(1);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain(`GitHub rate limit exhausted until ${resetTime(reset)}`);
    expect(out.stderr).toBe('');
  });
});

describe('rate limits on GitHub Enterprise Server, whose GraphQL is at /api/graphql', () => {
  const GHES = 'https://ghe.example.com';
  const ghes = async () => {
    const capture = captureIo({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: `${GHES}/api/v3` });
    const code = await main(ARGS, capture.io);
    return { code, stdout: capture.stdout, stderr: capture.stderr };
  };
  // The REST API of GitHub Enterprise Server is under /api/v3.
  answerActivity(`${GHES}/api/v3`, activity);
  const reviewers = () =>
    nock(GHES)
      .post('/api/graphql', isApproversQuery)
      .reply(
        replyApprovers({
          pullRequest,
          permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
          teams: { 'acme/sre': ['carol'] },
        }),
      );

  it.each([
    ['RATE_LIMITED', RATE_LIMITED_BODY],
    ['RATE_LIMIT', RATE_LIMIT_BODY],
  ])('waits out a %s answer that resets within seconds, then decides', async (_, body) => {
    const soon = String(Math.floor(Date.now() / 1000) + 1);
    const main = counted([
      [200, body, { ...JSON_TYPE, ...spent(Number(soon)), 'retry-after': '1' }],
      [200, pullRequest, JSON_TYPE],
    ]);
    nock(GHES).post('/api/graphql', isPullRequestQuery).times(2).reply(main.reply);
    reviewers();
    const out = await ghes();
    expect(main.seen.count).toBe(2);
    expect(out.stdout).toMatch(/^vakt gate: APPROVED/);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
  });

  it('waits out a secondary limit there too', async () => {
    const main = counted([
      [403, SECONDARY, { ...JSON_TYPE, 'retry-after': '1' }],
      [200, pullRequest, JSON_TYPE],
    ]);
    nock(GHES).post('/api/graphql', isPullRequestQuery).times(2).reply(main.reply);
    reviewers();
    const out = await ghes();
    expect(main.seen.count).toBe(2);
    expect(out.stdout).toMatch(/^vakt gate: APPROVED/);
  });

  it('fails closed at once when the quota resets in an hour', async () => {
    const reset = inAnHour();
    const main = counted([[200, RATE_LIMITED_BODY, { ...JSON_TYPE, ...spent(reset) }]]);
    nock(GHES).post('/api/graphql', isPullRequestQuery).times(3).reply(main.reply);
    const out = await ghes();
    expect(main.seen.count).toBe(1);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain(`GitHub rate limit exhausted until ${resetTime(reset)}`);
  });
});

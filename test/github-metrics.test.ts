import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/client.ts';
import { rateLimitFigures } from '../src/github/observe.ts';
import { createMetrics, type OperatorMetrics } from '../src/operator/metrics.ts';
import { offline } from './support/offline.ts';

/**
 * The vakt_github_* metrics, fed by the client the operator builds: every answer GitHub
 * gives (retries included), its x-ratelimit figures, and each rate limit waited out or
 * given up on. Retry and throttling stay on, as in the operator.
 */

const API = 'https://api.github.test';
const TOKEN = 'ghp_metricsTestToken0123456789abcdef';
const REPO = { id: 1, name: 'shop', full_name: 'acme/shop', private: false };

offline();

function quota(remaining: number, resource = 'core', reset = Math.floor(Date.now() / 1000) + 60) {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(5000 - remaining),
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': resource,
  };
}

async function client(retries = true) {
  const metrics = createMetrics();
  const octokit = await createGitHub({
    token: TOKEN,
    baseUrl: API,
    retries,
    observer: metrics.github,
  });
  return { metrics, octokit };
}

async function value(metrics: OperatorMetrics, name: string, labels: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const getRepo = (octokit: Awaited<ReturnType<typeof client>>['octokit']) =>
  octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' });

describe('vakt_github_* metrics', () => {
  it('counts answers by status and keeps the latest quota by resource', async () => {
    const { metrics, octokit } = await client();
    nock(API)
      .get('/repos/acme/shop')
      .reply(200, REPO, quota(4999))
      .get('/repos/acme/shop')
      .reply(200, REPO, quota(4998))
      .get('/repos/acme/gone')
      .reply(404, { message: 'Not Found' }, quota(4997));
    await getRepo(octokit);
    await getRepo(octokit);
    await expect(
      octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'gone' }),
    ).rejects.toMatchObject({ status: 404 });
    expect(await value(metrics, 'vakt_github_requests_total', 'status="200"')).toBe(2);
    expect(await value(metrics, 'vakt_github_requests_total', 'status="404"')).toBe(1);
    expect(await value(metrics, 'vakt_github_rate_limit', 'resource="core"')).toBe(5000);
    expect(await value(metrics, 'vakt_github_rate_limit_remaining', 'resource="core"')).toBe(4997);
    // The credential goes out in a header, never into a metric.
    expect(await metrics.registry.metrics()).not.toContain(TOKEN);
  });

  it('counts a secondary limit waited out, and both answers', async () => {
    const { metrics, octokit } = await client();
    nock(API)
      .get('/repos/acme/shop')
      .reply(
        403,
        { message: 'You have exceeded a secondary rate limit.' },
        { 'retry-after': '1', ...quota(4000) },
      )
      .get('/repos/acme/shop')
      .reply(200, REPO, quota(3999));
    await getRepo(octokit);
    expect(
      await value(metrics, 'vakt_github_rate_limited_total', 'kind="secondary",outcome="waited"'),
    ).toBe(1);
    expect(await value(metrics, 'vakt_github_requests_total', 'status="403"')).toBe(1);
    expect(await value(metrics, 'vakt_github_requests_total', 'status="200"')).toBe(1);
  });

  it('counts a spent primary quota given up on at once', async () => {
    const { metrics, octokit } = await client();
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    nock(API)
      .get('/repos/acme/shop')
      .reply(403, { message: 'API rate limit exceeded' }, quota(0, 'core', inAnHour));
    await expect(getRepo(octokit)).rejects.toMatchObject({ status: 403 });
    expect(
      await value(metrics, 'vakt_github_rate_limited_total', 'kind="primary",outcome="gave_up"'),
    ).toBe(1);
    expect(await value(metrics, 'vakt_github_rate_limit_remaining', 'resource="core"')).toBe(0);
  });

  it('counts a GraphQL RATE_LIMIT answer waited out', async () => {
    const { metrics, octokit } = await client();
    nock(API)
      .post('/graphql')
      .reply(
        200,
        { errors: [{ type: 'RATE_LIMIT', code: 'graphql_rate_limit', message: 'limit' }] },
        { 'retry-after': '1', ...quota(0, 'graphql') },
      )
      .post('/graphql')
      .reply(200, { data: { viewer: { login: 'vakt-bot' } } }, quota(4999, 'graphql'));
    const answer = await octokit.graphql<{ viewer: { login: string } }>('{ viewer { login } }');
    expect(answer.viewer.login).toBe('vakt-bot');
    expect(
      await value(metrics, 'vakt_github_rate_limited_total', 'kind="graphql",outcome="waited"'),
    ).toBe(1);
    expect(await value(metrics, 'vakt_github_rate_limit_remaining', 'resource="graphql"')).toBe(
      4999,
    );
  });

  it('counts a request that got no answer as status "error"', async () => {
    const { metrics, octokit } = await client(false);
    nock(API).get('/repos/acme/shop').replyWithError('connect ECONNREFUSED');
    await expect(getRepo(octokit)).rejects.toThrow();
    expect(await value(metrics, 'vakt_github_requests_total', 'status="error"')).toBe(1);
  });
});

describe('rateLimitFigures', () => {
  it('reads GitHub headers, and names an unknown resource "other"', () => {
    expect(rateLimitFigures(new Headers(quota(12, 'search')))).toEqual({
      resource: 'search',
      limit: 5000,
      remaining: 12,
    });
    expect(rateLimitFigures(new Headers({ ...quota(1), 'x-ratelimit-resource': 'a/b"c' }))).toEqual(
      { resource: 'other', limit: 5000, remaining: 1 },
    );
    expect(rateLimitFigures(new Headers({ 'x-ratelimit-limit': '5000' }))).toBeUndefined();
    expect(rateLimitFigures(new Headers({}))).toBeUndefined();
  });
});

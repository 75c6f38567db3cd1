import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/approval/evaluate.ts';
import type { GateFacts } from '../src/approval/facts.ts';
import { globProblem, matchesAnyGlob } from '../src/approval/glob.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';

/**
 * Path rules match as bash does with globstar and extglob on (picomatch): braces, classes
 * and extglobs mean what they say, dotfiles match, and a pattern without a slash matches
 * at the repository root only. A pattern that could not match as written is refused.
 */

describe('matchesAnyGlob', () => {
  it.each([
    ['**/cache*.yaml', 'cache.yaml', true],
    ['**/cache*.yaml', 'deploy/cache-cdn.yaml', true],
    ['**/cache*.yaml', 'deploy/nocache.yaml', false],
    ['charts/**', 'charts/vakt/values.yaml', true],
    ['charts/**', 'src/charts/x', false],
    ['cdn/*.vcl', 'cdn/edge.vcl', true],
    ['cdn/*.vcl', 'cdn/a/edge.vcl', false],
    ['src/?.ts', 'src/a.ts', true],
    ['src/?.ts', 'src/ab.ts', false],
    ['a/**/b.txt', 'a/b.txt', true],
    ['a/**/b.txt', 'a/x/y/b.txt', true],
    ['file.\\(x\\)', 'file.(x)', true],
    // Braces: each alternative, and ranges.
    ['charts/**/*.{yaml,yml}', 'charts/shop/values.yml', true],
    ['charts/**/*.{yaml,yml}', 'charts/shop/values.yaml', true],
    ['charts/**/*.{yaml,yml}', 'charts/shop/values.json', false],
    ['deploy/v{1..3}/*', 'deploy/v2/cdn.conf', true],
    ['deploy/v{1..3}/*', 'deploy/v4/cdn.conf', false],
    // Classes, negated classes and POSIX classes.
    ['cdn/[ab]*.vcl', 'cdn/a-edge.vcl', true],
    ['cdn/[ab]*.vcl', 'cdn/c-edge.vcl', false],
    ['cdn/[!ab]*.vcl', 'cdn/c-edge.vcl', true],
    ['cdn/[!ab]*.vcl', 'cdn/a-edge.vcl', false],
    ['v[[:digit:]]/*', 'v7/x', true],
    // Extglobs, including a negated one inside the pattern.
    ['+(cdn|edge)/**', 'edge/rules.vcl', true],
    ['config/!(README).md', 'config/cache.md', true],
    ['config/!(README).md', 'config/README.md', false],
    // Dotfiles and dot folders match like any other name.
    ['**', '.github/workflows/deploy.yml', true],
    ['**/*.yml', '.github/workflows/deploy.yml', true],
    ['charts/*', 'charts/.helmignore', true],
    // No basename matching: a pattern without a slash is anchored at the root.
    ['*.vcl', 'edge.vcl', true],
    ['*.vcl', 'cdn/edge.vcl', false],
    ['Dockerfile', 'services/api/Dockerfile', false],
    // Case matters: GitHub's paths are case-sensitive.
    ['CDN/**', 'cdn/edge.vcl', false],
  ] as const)('%s against %s: %s', (glob, path, expected) => {
    expect(matchesAnyGlob(path, [glob])).toBe(expected);
  });

  it('ignores a leading "./" or "/" on the path', () => {
    expect(matchesAnyGlob('./charts/x.yaml', ['charts/*.yaml'])).toBe(true);
    expect(matchesAnyGlob('/charts/x.yaml', ['charts/*.yaml'])).toBe(true);
  });
});

describe('globProblem', () => {
  it.each([
    'charts/**',
    'charts/**/*.{yaml,yml}',
    'cdn/[ab]*.vcl',
    'cdn/[!ab]*.vcl',
    'config/!(README).md',
    'file.\\(x\\)',
    'file.\\{a\\}',
    '\\!important.txt',
    '.github/**',
    'deploy/v{1..3}/*',
    'a{,.bak}',
  ])('accepts %s', (glob) => {
    expect(globProblem(glob)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['!docs/**', /negation .*not supported/],
    ['!(docs)', undefined],
    ['charts/*.{yaml,yml', /unbalanced "\{"/],
    ['charts/*.yaml}', /unbalanced "\}"/],
    ['cdn/[ab*.vcl', /unbalanced "\["/],
    ['cdn/ab]*.vcl', /unbalanced "\]"/],
    ['+(cdn|edge/**', /unbalanced "\("/],
    ['cdn|edge)/**', /unbalanced "\)"/],
    ['charts/*.{yaml}', /one alternative/],
    ['/charts/**', /relative to the repository root/],
    ['charts/', /trailing "\/"/],
    ['charts//x', /empty segment/],
    ['charts/../x', /"\.\." segment/],
    ['charts/x\\', /ends with a lone "\\"/],
  ] as const)('%s: %s', (glob, problem) => {
    const found = globProblem(glob);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});

describe('path rules in evaluate()', () => {
  const policy = ApprovalSpec.parse({
    minApprovals: 1,
    paths: [{ match: ['charts/**/*.{yaml,yml}'], requireFrom: [{ teams: ['acme/sre'] }] }],
  });
  const HEAD = 'a'.repeat(40);
  const facts = (files: string[]): GateFacts => ({
    repository: 'acme/shop',
    pullRequest: {
      number: 7,
      author: { login: 'alice', type: 'User' },
      baseRef: 'main',
      baseSha: 'b'.repeat(40),
      headSha: HEAD,
      head: { ref: 'feature' },
      commits: [],
      reviews: [
        {
          id: 1,
          author: { login: 'bob', type: 'User' },
          state: 'APPROVED',
          commitId: HEAD,
          submittedAt: '2026-11-02T09:00:00Z',
        },
      ],
      dismissals: [],
      files,
      forcePushes: [],
      pushes: [],
      baseChanges: [],
    },
    approvers: { permission: { bob: 'write' }, teams: { bob: [] }, unreadableTeams: {} },
  });

  it('applies a rule written with braces to the files it names', () => {
    const verdict = evaluate(policy, facts(['charts/shop/values.yml']));
    expect(verdict.outcome).toBe('denied');
    expect(verdict.missing).toEqual(['needs 1 more approval from @acme/sre']);
  });

  it('leaves other files to the base rules', () => {
    expect(evaluate(policy, facts(['charts/shop/README.md'])).outcome).toBe('approved');
  });
});

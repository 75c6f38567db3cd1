import { describe, expect, it } from 'vitest';
import { MAX_DESCRIPTION, statusFor } from '../src/approval/status.ts';
import type { ApprovalVerdict } from '../src/approval/verdict.ts';
import { gateMarkdown } from '../src/report/gate-markdown.ts';
import { gateText } from '../src/report/gate-text.ts';

function verdict(overrides: Partial<ApprovalVerdict>): ApprovalVerdict {
  return {
    outcome: 'approved',
    reasons: [],
    counted: [],
    notCounted: [],
    missing: [],
    required: { approvals: 2, teams: [] },
    evidence: { repository: 'acme/shop', pullRequest: 42, baseRef: 'main', headSha: 'abc1234def' },
    ...overrides,
  };
}

const counted = [
  { login: 'bob', reviewId: 1, commitId: 'abc1234def' },
  { login: 'carol', reviewId: 2, commitId: 'abc1234def' },
];
const long = `the pull request could not be read completely: ${'read 5 of 900 reviews; '.repeat(20)}`;

describe('statusFor', () => {
  it.each([
    [verdict({ counted }), 'success', '2/2 approvals: @bob, @carol'],
    [
      verdict({
        outcome: 'denied',
        missing: ['needs 1 more approval', 'needs 1 more approval from @acme/sre'],
        reasons: ['not enough qualified approvals: ...'],
      }),
      'failure',
      'needs 1 more approval',
    ],
    [
      verdict({ outcome: 'denied', reasons: ['@dave requested changes'] }),
      'failure',
      '@dave requested changes',
    ],
    [
      verdict({ outcome: 'undecided', reasons: ['GitHub rate limit reached'] }),
      'error',
      'could not decide: GitHub rate limit reached',
    ],
  ])('%#: %s', (v, state, description) => {
    expect(statusFor(v)).toEqual({ state, description, context: 'vakt/two-person' });
  });

  it('cuts a long description to 140 characters', () => {
    const status = statusFor(verdict({ outcome: 'undecided', reasons: [long] }));
    expect(status.state).toBe('error');
    expect([...status.description]).toHaveLength(MAX_DESCRIPTION);
    expect(status.description).toMatch(/^could not decide: the pull request.*…$/);
  });
});

describe('gate reports', () => {
  const denied = verdict({
    outcome: 'denied',
    counted: counted.slice(0, 1),
    notCounted: [{ login: 'erin', reason: 'co-authored a commit | twice' }],
    missing: ['needs 1 more approval'],
    reasons: ['not enough qualified approvals: needs 1 more approval'],
  });

  it('renders text rows', () => {
    expect(gateText(denied)).toBe(
      [
        'vakt gate: DENIED  not enough qualified approvals: needs 1 more approval',
        '  pull request  acme/shop#42 into main, head abc1234',
        '  counted       @bob (review 1 on abc1234)',
        '  not counted   @erin: co-authored a commit | twice',
        '  missing       needs 1 more approval',
        '  reason        not enough qualified approvals: needs 1 more approval',
        '',
      ].join('\n'),
    );
  });

  it('renders Markdown with an escaped table', () => {
    const md = gateMarkdown(denied);
    expect(md).toMatch(/^## ⛔ vakt gate: DENIED/);
    expect(md).toContain('| @bob | yes | (review 1 on abc1234) |');
    expect(md).toContain('| @erin | no | co-authored a commit \\| twice |');
    expect(md).toContain('### Missing\n\n- needs 1 more approval');
  });
});

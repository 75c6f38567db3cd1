import { describe, expect, it } from 'vitest';
import { parseEventPayload, subjectFromEvent } from '../src/action/event.ts';
import { type ActionInputs, INPUT_FLAGS, planAction } from '../src/action/plan.ts';
import {
  ANNOTATIONS_PER_LEVEL,
  annotationsOf,
  cap,
  type GateReport,
  outputsOf,
  revertAnnotation,
  SUMMARY_LIMIT_BYTES,
  summaryMarkdown,
  summaryRows,
} from '../src/action/results.ts';
import { notEnough } from '../src/approval/evaluate.ts';
import type { ProbeVerdict } from '../src/probe/types.ts';

const SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

describe('subjectFromEvent', () => {
  const cases: [string, unknown, string | undefined, ReturnType<typeof subjectFromEvent>][] = [
    ['pull_request', { pull_request: { number: 7 } }, SHA, { pr: 7 }],
    ['pull_request_target', { pull_request: { number: 8 } }, SHA, { pr: 8 }],
    ['pull_request_review', { pull_request: { number: 9 } }, SHA, { pr: 9 }],
    ['push', { after: SHA.toUpperCase() }, undefined, { sha: SHA }],
    [
      'push',
      { after: '0'.repeat(40) },
      undefined,
      { reason: 'the push event carries no commit SHA' },
    ],
    ['workflow_dispatch', { inputs: {} }, SHA, { sha: SHA }],
    ['deployment', { deployment: { sha: SHA } }, 'ffffffff', { sha: SHA }],
    [
      'deployment',
      { deployment: {} },
      SHA,
      { reason: 'the deployment event carries no commit SHA' },
    ],
    [
      'pull_request',
      { pull_request: { number: '7' } },
      SHA,
      { reason: 'the pull_request event carries no pull request number' },
    ],
    [
      'issue_comment',
      {},
      SHA,
      { reason: 'cannot tell what to decide from a issue_comment event: set the pr or sha input' },
    ],
  ];
  for (const [event, payload, sha, expected] of cases) {
    it(`${event} ${JSON.stringify(payload)}`, () => {
      expect(subjectFromEvent(event, payload, sha)).toEqual(expected);
    });
  }
});

describe('parseEventPayload', () => {
  it('reads the runner event file', () => {
    expect(parseEventPayload('{"after":"abc"}')).toEqual({ after: 'abc' });
  });

  it('refuses a file that is not JSON in one line, without quoting it', () => {
    expect(() => parseEventPayload('{"pull_request": {"number": 4')).toThrow(
      /^the event payload in GITHUB_EVENT_PATH is not valid JSON$/,
    );
  });
});

describe('planAction', () => {
  const inputs: ActionInputs = {
    command: '',
    policy: 'policy.yaml',
    token: 't',
    pr: '',
    sha: '',
    image: '',
    target: '',
    revertCommand: '',
    revertTimeout: '',
    postStatus: false,
  };
  const context = {
    repository: 'acme/shop',
    eventName: 'pull_request',
    payload: { pull_request: { number: 42 } },
    sha: SHA,
    reportDir: '/tmp/r',
  };

  it('runs the gate on the event pull request by default', () => {
    expect(planAction(inputs, context).argv).toEqual([
      'gate',
      '--policy',
      'policy.yaml',
      '--repo',
      'acme/shop',
      '--json',
      '/tmp/r/vakt-gate.json',
      '--markdown',
      '/tmp/r/vakt-gate.md',
      '--pr',
      '42',
    ]);
  });

  it('prefers the pr or sha input over the event and can post the status', () => {
    const plan = planAction({ ...inputs, sha: SHA, postStatus: true }, context);
    expect(plan.argv.slice(-3)).toEqual(['--sha', SHA, '--post-status']);
    expect(() => planAction({ ...inputs, sha: SHA, pr: '1' }, context)).toThrow(
      'set the pr input or the sha input, not both',
    );
  });

  it('gates a deployed image by its digest, with the sha input as a cross-check', () => {
    const image = `ghcr.io/acme/shop@sha256:${'a'.repeat(64)}`;
    expect(planAction({ ...inputs, image }, context).argv.slice(-2)).toEqual(['--image', image]);
    expect(planAction({ ...inputs, image, sha: SHA }, context).argv.slice(-4)).toEqual([
      '--image',
      image,
      '--sha',
      SHA,
    ]);
    expect(() => planAction({ ...inputs, image, pr: '1' }, context)).toThrow(
      'set the pr input or the image input, not both',
    );
    expect(() => planAction({ ...inputs, command: 'probe', image }, context)).toThrow(
      'input "image" does not apply to command probe',
    );
  });

  it('builds a probe with target and revert command', () => {
    const plan = planAction(
      { ...inputs, command: 'probe', target: 'http://canary', revertCommand: 'kubectl undo' },
      context,
    );
    expect(plan.command).toBe('probe');
    expect(plan.argv).toEqual([
      'probe',
      '--policy',
      'policy.yaml',
      '--json',
      '/tmp/r/vakt-probe.json',
      '--markdown',
      '/tmp/r/vakt-probe.md',
      '--target',
      'http://canary',
      '--on-leak',
      'kubectl undo',
    ]);
  });

  it('names for each input the flag it becomes, as the command line has it', () => {
    const all = { ...inputs, sha: SHA, postStatus: true, token: 't' };
    const gateArgv = planAction(all, context).argv;
    const probeArgv = planAction(
      { ...inputs, command: 'probe', target: 'http://canary', revertCommand: 'undo' },
      context,
    ).argv;
    const flags = (table: Record<string, string>) =>
      Object.values(table).filter((flag) => flag.startsWith('--'));
    for (const flag of flags(INPUT_FLAGS.probe)) expect(probeArgv).toContain(flag);
    for (const flag of flags(INPUT_FLAGS.gate).filter((f) => f !== '--pr' && f !== '--image')) {
      expect(gateArgv).toContain(flag);
    }
    expect(planAction({ ...inputs, pr: '3' }, context).argv).toContain('--pr');
    expect(planAction({ ...inputs, image: `r@sha256:${'a'.repeat(64)}` }, context).argv).toContain(
      '--image',
    );
  });

  it('passes revert-timeout on as --on-leak-timeout, and only beside a revert command', () => {
    const probe = { ...inputs, command: 'probe', revertCommand: 'kubectl undo' };
    expect(planAction({ ...probe, revertTimeout: ' 90s ' }, context).argv.slice(-4)).toEqual([
      '--on-leak',
      'kubectl undo',
      '--on-leak-timeout',
      '90s',
    ]);
    expect(() =>
      planAction({ ...probe, revertCommand: '', revertTimeout: '90s' }, context),
    ).toThrow('input "revert-timeout" needs a revert-command to time');
    expect(() => planAction({ ...inputs, revertTimeout: '90s' }, context)).toThrow(
      'input "revert-timeout" does not apply to command gate',
    );
  });

  it('refuses inputs that make no sense', () => {
    expect(() => planAction({ ...inputs, policy: ' ' }, context)).toThrow(
      /input "policy" is required/,
    );
    expect(() => planAction({ ...inputs, command: 'probe', pr: '3' }, context)).toThrow(
      'input "pr" does not apply to command probe',
    );
    expect(() => planAction({ ...inputs, revertCommand: 'x' }, context)).toThrow(
      'input "revert-command" does not apply to command gate',
    );
    expect(() => planAction(inputs, { ...context, repository: '' })).toThrow(/GITHUB_REPOSITORY/);
  });
});

const gate: GateReport = {
  outcome: 'denied',
  reasons: Array.from({ length: 12 }, (_, i) => `reason ${i}`),
  counted: [{ login: 'bob', reviewId: 1, commitId: SHA }],
  notCounted: [{ login: 'alice', reason: 'is the author' }],
  missing: ['needs 1 more approval from @acme/release-managers'],
  required: { approvals: 2, teams: [] },
  evidence: { repository: 'acme/shop', pullRequest: 42, baseRef: 'main', headSha: SHA },
  requests: 2,
};

describe('results', () => {
  it('gives the gate outputs', () => {
    expect(outputsOf({ command: 'gate', verdict: gate }, '/r.json')).toEqual({
      verdict: 'denied',
      approvers: 'bob',
      missing: 'needs 1 more approval from @acme/release-managers',
      leaks: '',
      requests: '2',
      'leak-rate-bound': '',
      report: '/r.json',
    });
  });

  it('says each missing approval once, not again inside the reason that sums them up', () => {
    const missing = ['needs 1 more approval', 'needs 1 more approval from @acme/sre'];
    const denied: GateReport = {
      ...gate,
      reasons: ['@dave requested changes', notEnough(missing)],
      missing,
    };
    expect(annotationsOf({ command: 'gate', verdict: denied }).map((a) => a.message)).toEqual([
      '@dave requested changes',
      'needs 1 more approval',
      'needs 1 more approval from @acme/sre',
    ]);
  });

  it('keeps annotations within GitHub limit of 10 per level, the last place for the failure', () => {
    // 12 reasons and 1 missing approval; the step's own failure line is the tenth error.
    const annotations = annotationsOf({ command: 'gate', verdict: gate });
    expect(annotations).toHaveLength(ANNOTATIONS_PER_LEVEL - 1);
    expect(annotations.every((a) => a.level === 'error')).toBe(true);
    expect(annotations.slice(0, -1).map((a) => a.message)).toEqual(
      Array.from({ length: 8 }, (_, i) => `reason ${i}`),
    );
    expect(annotations.at(-1)?.message).toBe('5 more errors: see the job summary');
  });

  it('keeps ten warnings, and says how many more there were', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      level: 'warning' as const,
      title: 't',
      message: `w${i}`,
    }));
    const kept = cap(many);
    expect(kept).toHaveLength(ANNOTATIONS_PER_LEVEL);
    expect(kept.at(-1)?.message).toBe('3 more warnings: see the job summary');
    expect(cap(many.slice(0, 10))).toEqual(many.slice(0, 10));
  });

  it('gives probe outputs, with the bound only when no leak was found', () => {
    const probe = {
      outcome: 'pass',
      reason: 'bound met',
      target: 'http://x',
      counters: {
        sent: 3100,
        checked: 3000,
        loginsAccepted: 60,
        failed: 10,
        cancelled: 30,
        unchecked: 0,
        logins: 60,
        anonymous: 600,
      },
      leakRateBound: 0.000998,
      confidence: 0.95,
      maxLeakRate: 0.001,
      warnings: [{ kind: 'cache-risk', path: '/api/me', detail: 'public cache', count: 3 }],
    } as unknown as ProbeVerdict;
    const report = { command: 'probe', verdict: probe } as const;
    expect(outputsOf(report, 'f')).toMatchObject({
      leaks: '0',
      requests: '3100',
      'leak-rate-bound': '0.000998',
    });
    expect(annotationsOf(report)).toEqual([
      { level: 'warning', title: 'vakt probe: cache-risk on /api/me', message: 'public cache' },
    ]);
    // Step outputs stay raw numbers; the summary formats them as every report does.
    const summary = summaryMarkdown(report, '');
    expect(summary).toContain(
      '| Requests | 3,100 sent = 3,000 checked + 60 logged in + 10 failed + 30 cancelled (60 logins, 600 with no credentials) |',
    );
    expect(summary).toContain(
      '| Leak-rate bound | leak rate below 0.0998% at 95% confidence (policy: at most 0.1%) |',
    );
    expect(summaryMarkdown(report, '')).toContain(
      '| Requests | 3,100 sent = 3,000 checked + 60 logged in + 10 failed + 30 cancelled (60 logins, 600 with no credentials) |',
    );
  });

  it('leaves the bound out of the summary when nothing was checked', () => {
    const unreachable = {
      outcome: 'inconclusive',
      reason: 'no response could be checked (most common: ECONNREFUSED)',
      target: 'http://x',
      counters: { sent: 31, checked: 0, failed: 31, cancelled: 0, unchecked: 0, logins: 14 },
      leakRateBound: 1,
      confidence: 0.95,
      maxLeakRate: 0.001,
      warnings: [],
    } as unknown as ProbeVerdict;
    const rows = summaryRows({ command: 'probe', verdict: unreachable });
    expect(rows.map(([k]) => k)).toEqual(['Verdict', 'Target', 'Requests', 'Why']);
    expect(rows[2]?.[1]).toBe('31 sent = 0 checked + 31 failed + 0 cancelled (14 logins)');
  });

  it.each([
    [{ exitCode: 0, signal: null }, undefined],
    [
      { exitCode: 7, signal: null },
      ['failed', 'the revert command exited 7: the leaking release may still be serving'],
    ],
    [
      { exitCode: null, signal: 'SIGKILL' },
      [
        'failed',
        'the revert command was killed by SIGKILL: the leaking release may still be serving',
      ],
    ],
    [
      { exitCode: null, signal: 'SIGTERM', timedOut: true },
      [
        'timed out',
        'the revert command timed out after 5m and was stopped with SIGTERM: the leaking release may still be serving',
      ],
    ],
    [
      { exitCode: null, signal: null, error: 'could not start: spawn /bin/sh ENOENT' },
      [
        'failed',
        'the revert command could not start: spawn /bin/sh ENOENT: the leaking release may still be serving',
      ],
    ],
  ])('a revert that ended %j is annotated %j, without the command', (ended, expected) => {
    const onLeak = {
      command: 'deploy --token s3cr3t',
      durationMs: 5,
      timeoutMs: 300_000,
      ...ended,
    };
    const annotation = revertAnnotation(onLeak);
    if (!expected) return expect(annotation).toBeUndefined();
    expect(annotation).toEqual({
      level: 'error',
      title: `vakt probe: revert command ${expected[0]}`,
      message: expected[1],
    });
  });

  it('keeps the job summary under its 1 MiB limit and escapes table cells', () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const text = summaryMarkdown({ command: 'gate', verdict: { ...gate, missing: ['a|b'] } }, huge);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(text).toContain('| Missing | a\\|b |');
    expect(text).toMatch(/summary truncated/);
  });
});

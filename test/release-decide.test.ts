import { describe, expect, it } from 'vitest';
import { APPROVAL_RECHECK_MS, UNDECIDED_RECHECK_MS } from '../src/release/approval.ts';
import { decide } from '../src/release/decide.ts';
import { MAX_DECISIONS, type ReleaseGuardStatus } from '../src/release/schema.ts';
import { REJECTED_TEMPLATE, type Report } from '../src/release/state.ts';
import { templateHash } from '../src/release/template.ts';
import {
  adopted,
  approval,
  events,
  freshWorld,
  H1,
  H2,
  H3,
  inCanary,
  kinds,
  oneShot,
  POLICY,
  passCanary,
  pinnedImage,
  probe,
  SHA,
  SPEC,
  Story,
  T0,
  template,
} from './support/decide-story.ts';

/** The decide() tables: each story drives the state machine one call at a time. */

describe('decide: adoption', () => {
  it('copies the target to <name>-stable and creates the Services before taking users away', () => {
    const story = new Story();
    const first = story.step();
    expect(first.status.phase).toBe('Initializing');
    expect(first.actions).toContainEqual({
      kind: 'setStable',
      template: template(SHA.one),
      templateHash: H1,
      replicas: 3,
      why: 'adopt',
    });
    expect(first.actions).toContainEqual(expect.objectContaining({ kind: 'ensureServices' }));
    expect(kinds(first.actions)).not.toContain('scaleCandidate');

    const second = story.step();
    expect(second.status.phase).toBe('Idle');
    expect(second.status.stable).toMatchObject({ templateHash: H1, revision: SHA.one });
    expect(events(second.actions).map((e) => e.reason)).toEqual(['Adopted']);
    expect(second.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(second.actions).toContainEqual(
      expect.objectContaining({ kind: 'startProbe', target: 'stable', mode: 'guard' }),
    );
    expect(second.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('waits for a missing target without crashing', () => {
    const story = new Story({ ...freshWorld(), target: null });
    const output = story.step();
    expect(output.status.phase).toBe('Initializing');
    expect(output.status.message).toContain('waiting for Deployment shop');
    expect(oneShot(story.peek().actions)).toEqual([]);
  });
});

describe('decide: a release', () => {
  it('blocks an unapproved template: zero replicas first, then the gate is asked', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 3);
    const detected = story.step();
    expect(detected.status.phase).toBe('Blocked');
    expect(detected.actions[0]).toEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(detected.actions).toContainEqual({
      kind: 'checkApproval',
      templateHash: H2,
      revision: SHA.two,
      repository: 'acme/shop',
      digests: [pinnedImage(SHA.two.slice(0, 7)).split('@sha256:')[1]],
    });
    expect(detected.status.candidate).toMatchObject({ templateHash: H2, revision: SHA.two });

    const denied = story.step([approval(H2, SHA.two, 'denied')]);
    expect(denied.status.phase).toBe('Blocked');
    expect(events(denied.actions)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'Blocked' }),
    ]);
    expect(denied.actions).toContainEqual(
      expect.objectContaining({
        kind: 'postCommitStatus',
        context: 'vakt/two-person',
        state: 'failure',
        sha: SHA.two,
      }),
    );
    expect(denied.status.message).toContain('needs 1 more approval');
    expect(denied.status.conditions.find((c) => c.type === 'Approved')?.status).toBe('False');
    expect(story.observed.target?.replicas).toBe(0);
  });

  it('asks the gate again after the re-check interval, or at once on demand', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 0);
    story.step();
    story.step([approval(H2, SHA.two, 'denied')]);
    story.now += APPROVAL_RECHECK_MS - 1;
    expect(kinds(story.peek().actions)).not.toContain('checkApproval');
    expect(kinds(story.peek([{ kind: 'approvalRecheck' }]).actions)).toContain('checkApproval');
    story.now += 1;
    expect(kinds(story.step().actions)).toContain('checkApproval');
    expect(story.last?.requeueAfterMs).toBe(APPROVAL_RECHECK_MS);
  });

  it('asks again sooner after an undecided answer: GitHub may be back', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 0);
    story.step();
    const undecided = story.step([approval(H2, SHA.two, 'undecided')]);
    expect(undecided.requeueAfterMs).toBe(UNDECIDED_RECHECK_MS);
    story.now += UNDECIDED_RECHECK_MS - 1;
    expect(kinds(story.peek().actions)).not.toContain('checkApproval');
    story.now += 1;
    expect(kinds(story.step().actions)).toContain('checkApproval');
    expect(UNDECIDED_RECHECK_MS).toBeLessThan(APPROVAL_RECHECK_MS);
  });

  it('ignores an approval for another commit', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 0);
    story.step();
    const output = story.step([approval(H2, SHA.three, 'approved')]);
    expect(output.status.phase).toBe('Blocked');
  });

  it('blocks a template whose commit cannot be found, without asking the gate', () => {
    const story = adopted();
    story.deploy({ spec: { containers: [{ name: 'shop', image: pinnedImage('latest') }] } }, 0);
    const output = story.step();
    expect(output.status.phase).toBe('Blocked');
    expect(output.status.message).toContain('annotation vakt.dev/revision is missing');
    expect(kinds(output.actions)).not.toContain('checkApproval');
  });

  it('proceeds when approvals arrive: candidate scales up behind -canary, then is probed', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 0);
    story.step();
    const approved = story.step([approval(H2, SHA.two, 'approved')]);
    expect(approved.status.phase).toBe('Canary');
    expect(approved.status.approval).toMatchObject({
      approvers: ['carol', 'dave'],
      count: 2,
      pullRequest: 42,
    });
    expect(events(approved.actions).map((e) => e.reason)).toEqual(['Approved']);
    expect(approved.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 1 });
    const probing = story.step();
    expect(probing.actions).toContainEqual({
      kind: 'startProbe',
      target: 'candidate',
      mode: 'canary',
      templateHash: H2,
    });
  });

  it('reverts on the first leak: scale to zero and stop come first, the template is rejected', () => {
    const story = inCanary(SHA.two);
    const output = story.step([probe('candidate', 'canary', H2, 'leak')]);
    expect(output.actions.slice(0, 2)).toEqual([
      { kind: 'scaleCandidate', replicas: 0, rejectTemplate: H2 },
      { kind: 'stopProbe' },
    ]);
    expect(output.status.phase).toBe('Reverted');
    expect(output.status.rejected.map((r) => r.templateHash)).toEqual([H2]);
    expect(output.status.lastLeak).toMatchObject({
      target: 'candidate',
      templateHash: H2,
      revision: SHA.two,
      kind: 'foreign-marker',
      tenant: 'alice',
      owner: 'bob',
      path: '/api/orders',
      requestNumber: 17,
      headers: { 'x-cache': 'HIT' },
    });
    expect(events(output.actions)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'Reverted' }),
    ]);
    expect(output.actions).toContainEqual({ kind: 'countLeak', target: 'candidate' });
    expect(output.status.conditions.find((c) => c.type === 'ProbesPassing')?.status).toBe('False');
  });

  it('does not reject a candidate for a leak through the edge, which serves stable', () => {
    const story = inCanary(SHA.two);
    const edge = { ...probe('candidate', 'canary', H2, 'leak'), via: 'edge' as const };
    const output = story.step([edge]);
    expect(output.status.phase).toBe('Canary');
    expect(output.status.rejected).toEqual([]);
    expect(kinds(output.actions)).not.toContain('scaleCandidate');
    expect(output.actions).toContainEqual({ kind: 'countLeak', target: 'stable' });
    expect(events(output.actions).map((e) => [e.type, e.reason])).toEqual([
      ['Warning', 'LeakOnStable'],
    ]);
    expect(events(output.actions)[0]?.message).toMatch(/through the edge URL/);
    expect(output.status.message).toMatch(/not promoted while it does/);
    // The next clean run (edge included) promotes as usual.
    expect(passCanary(story, SHA.two, 'run-2').status.phase).toBe('Baking');
  });

  it('never retries a rejected template, even when it comes back after another release', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'leak')]);
    story.deploy(template(SHA.two), 2); // someone scales it up again
    const again = story.step([approval(H2, SHA.two, 'approved')]);
    expect(again.status.phase).toBe('Reverted');
    expect(again.actions[0]).toEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(oneShot(again.actions)).toEqual([]);

    story.deploy(template(SHA.three), 0);
    story.step();
    story.deploy(template(SHA.two), 0);
    const back = story.step();
    expect(back.status.phase).toBe('Reverted');
    expect(events(back.actions).map((e) => e.reason)).toEqual(['RejectedTemplate']);
    expect(kinds(back.actions)).not.toContain('checkApproval');
    expect(kinds(back.actions)).not.toContainEqual('startProbe');
  });

  it('rejects the same leaking images when only an annotation changed', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'leak')]);
    // A new template hash for the same build: a second run might happen to miss the leak.
    const touched = template(SHA.two);
    (touched.metadata as { annotations: Record<string, string> }).annotations.touched = '1';
    story.deploy(touched, 1);
    const again = story.step();
    expect(again.status.phase).toBe('Reverted');
    expect(again.status.message).toContain(`same image digests as template ${H2}`);
    expect(again.actions[0]).toEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(kinds(again.actions)).not.toContain('checkApproval');
    expect(again.actions).not.toContainEqual(
      expect.objectContaining({ kind: 'startProbe', target: 'candidate' }),
    );
    expect(events(again.actions).map((e) => e.reason)).toEqual(['RejectedTemplate']);
  });

  it('rejects the same image digests whatever commit the template names', () => {
    const digest = `ghcr.io/acme/shop@sha256:${'d'.repeat(64)}`;
    const story = new Story();
    story.step();
    story.step();
    story.deploy(template(SHA.two, digest), 3);
    story.step();
    story.step([approval(templateHash(template(SHA.two, digest)), SHA.two, 'approved')]);
    const leaked = story.step([
      probe('candidate', 'canary', templateHash(template(SHA.two, digest)), 'leak'),
    ]);
    expect(leaked.status.rejected[0]?.images).toEqual([digest]);
    story.deploy(template(SHA.three, digest), 1);
    const again = story.step();
    expect(again.status.phase).toBe('Reverted');
    expect(again.status.message).toContain('same image digests');
    expect(kinds(again.actions)).not.toContain('checkApproval');
  });

  it('blocks a release that names an image by tag, without asking the gate, and says how to pin it', () => {
    const story = adopted();
    const tagged = {
      metadata: { annotations: { 'vakt.dev/revision': SHA.two } },
      spec: {
        initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:v2' }],
        containers: [{ name: 'shop', image: pinnedImage('v2') }],
      },
    };
    story.deploy(tagged, 3);
    const output = story.step();
    expect(output.status.phase).toBe('Blocked');
    expect(output.status.message).toContain('migrate=ghcr.io/acme/migrate:v2');
    expect(output.status.message).toContain('name:tag@sha256:<digest>');
    expect(output.status.message).not.toContain('shop=');
    expect(kinds(output.actions)).not.toContain('checkApproval');
    expect(output.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(events(output.actions).map((e) => e.reason)).toEqual(['Blocked']);
    // An approval that arrives anyway does not count, and nothing is said again.
    const later = story.step([approval(templateHash(tagged), SHA.two, 'approved')]);
    expect(later.status.phase).toBe('Blocked');
    expect(events(later.actions)).toEqual([]);
  });

  it('promotes on a pass, bakes, and settles to Idle at the deadline after a bake run passed', () => {
    const story = inCanary(SHA.two);
    const promoted = passCanary(story, SHA.two);
    expect(promoted.status.phase).toBe('Baking');
    expect(kinds(promoted.actions).slice(0, 3)).toEqual([
      'setStable',
      'scaleCandidate',
      'startProbe',
    ]);
    expect(promoted.actions[0]).toMatchObject({ templateHash: H2, why: 'promote' });
    expect(promoted.actions[2]).toMatchObject({ target: 'stable', mode: 'bake', templateHash: H2 });
    expect(promoted.status.stable?.templateHash).toBe(H2);
    expect(promoted.status.previousStable?.templateHash).toBe(H1);
    expect(promoted.status.bakeUntil).toBe(new Date(story.now + 600_000).toISOString());
    expect(promoted.requeueAfterMs).toBe(600_000);

    story.now += 599_999;
    expect(story.step([probe('stable', 'bake', H2, 'pass')]).status.phase).toBe('Baking');
    story.now += 1;
    const baked = story.step();
    expect(baked.status.phase).toBe('Idle');
    expect(baked.status.previousStable).toBeUndefined();
    expect(events(baked.actions).map((e) => e.reason)).toEqual(['Baked']);
    expect(baked.actions).toContainEqual(
      expect.objectContaining({ kind: 'startProbe', target: 'stable', mode: 'guard' }),
    );
  });

  it('keeps probing when a run ends without meeting the bound', () => {
    const story = inCanary(SHA.two);
    const output = story.step([probe('candidate', 'canary', H2, 'inconclusive')]);
    expect(output.status.phase).toBe('Canary');
    expect(output.status.probe).toMatchObject({ outcome: 'inconclusive', leakRateBound: 0.01 });
    expect(events(output.actions).map((e) => e.reason)).toEqual(['ProbeInconclusive']);
  });

  it('restores the previous stable template from status on a leak while baking', () => {
    const story = inCanary(SHA.two);
    passCanary(story, SHA.two);
    story.now += 60_000;
    const output = story.step([probe('stable', 'bake', H2, 'leak', 'bake-1')]);
    expect(output.actions[0]).toEqual({
      kind: 'setStable',
      template: template(SHA.one),
      templateHash: H1,
      replicas: 3,
      why: 'restore',
      rejectTemplate: H2,
    });
    expect(output.status.phase).toBe('Reverted');
    expect(output.status.stable?.templateHash).toBe(H1);
    expect(output.status.previousStable).toBeUndefined();
    expect(output.status.rejected.map((r) => r.templateHash)).toEqual([H2]);
    expect(events(output.actions).map((e) => e.reason)).toEqual(['RolledBack']);
    expect(kinds(output.actions).filter((k) => k === 'setStable')).toHaveLength(1);
  });

  it('withdraws a blocked release when the target goes back to the stable template', () => {
    const story = adopted();
    story.deploy(template(SHA.two), 0);
    story.step();
    story.deploy(template(SHA.one), 0);
    const output = story.step();
    expect(output.status.phase).toBe('Idle');
    expect(output.status.candidate).toBeUndefined();
    expect(events(output.actions).map((e) => e.reason)).toEqual(['ReleaseWithdrawn']);
  });
});

describe('decide: guard probe on stable', () => {
  it('raises an Event, a condition and a metric on a leak, and reverts nothing', () => {
    const story = adopted();
    const output = story.step([probe('stable', 'guard', H1, 'leak', 'guard-7')]);
    expect(output.status.phase).toBe('Idle');
    expect(events(output.actions)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'LeakOnStable' }),
    ]);
    expect(output.actions).toContainEqual({ kind: 'countLeak', target: 'stable' });
    expect(kinds(output.actions)).not.toContain('setStable');
    expect(kinds(output.actions)).not.toContain('scaleCandidate');
    expect(output.status.conditions.find((c) => c.type === 'ProbesPassing')).toMatchObject({
      status: 'False',
      reason: 'LeakOnStable',
    });
    // The same report delivered twice is one leak.
    expect(oneShot(story.peek([probe('stable', 'guard', H1, 'leak', 'guard-7')]).actions)).toEqual(
      [],
    );
    const passed = story.step([probe('stable', 'guard', H1, 'pass', 'guard-8')]);
    expect(passed.status.conditions.find((c) => c.type === 'ProbesPassing')?.status).toBe('True');
  });

  it('counts a lasting leak on every run but raises one Event, and another when it is gone', () => {
    const story = adopted();
    story.step([probe('stable', 'guard', H1, 'leak', 'guard-1')]);
    const again = story.step([probe('stable', 'guard', H1, 'leak', 'guard-2')]);
    expect(events(again.actions)).toEqual([]);
    expect(again.actions).toContainEqual({ kind: 'countLeak', target: 'stable' });
    expect(again.status.lastLeak?.runId).toBe('guard-2');
    const gone = story.step([probe('stable', 'guard', H1, 'pass', 'guard-3')]);
    expect(events(gone.actions)).toEqual([
      expect.objectContaining({ type: 'Normal', reason: 'StableLeakGone' }),
    ]);
    const quiet = story.step([probe('stable', 'guard', H1, 'pass', 'guard-4')]);
    expect(events(quiet.actions)).toEqual([]);
    const back = story.step([probe('stable', 'guard', H1, 'leak', 'guard-5')]);
    expect(events(back.actions).map((e) => e.reason)).toEqual(['LeakOnStable']);
  });
});

describe('decide: invalid input', () => {
  const cases: { name: string; spec: unknown; field: string; policyProblems?: unknown }[] = [
    {
      name: 'missing repository',
      spec: { ...SPEC, source: {} },
      field: 'spec.source.repository',
    },
    { name: 'bad bake time', spec: { ...SPEC, bakeTime: 'soon' }, field: 'spec.bakeTime' },
    {
      name: 'both policy sources',
      spec: { ...SPEC, policy: { inline: POLICY, configMapRef: { name: 'p', key: 'k' } } },
      field: 'spec.policy',
    },
    { name: 'no policy source', spec: { ...SPEC, policy: {} }, field: 'spec.policy' },
    {
      name: 'a regular expression for the tag, which could backtrack',
      spec: {
        ...SPEC,
        source: {
          repository: 'acme/shop',
          revision: { imageTagPattern: '^(?<sha>([0-9a-f]+)+)$' },
        },
      },
      field: 'spec.source.revision.imageTagPattern',
    },
    {
      name: 'a tag format without {sha}',
      spec: { ...SPEC, source: { repository: 'acme/shop', revision: { imageTagFormat: 'main' } } },
      field: 'spec.source.revision.imageTagFormat',
    },
    {
      name: 'a tag format with characters no tag has',
      spec: {
        ...SPEC,
        source: { repository: 'acme/shop', revision: { imageTagFormat: 'main-{sha}(x)' } },
      },
      field: 'spec.source.revision.imageTagFormat',
    },
    {
      name: 'inline policy with one tenant',
      spec: {
        ...SPEC,
        policy: {
          inline: { ...POLICY, probe: { ...POLICY.probe, tenants: [POLICY.probe.tenants[0]] } },
        },
      },
      field: 'spec.policy.inline.probe.tenants',
    },
    {
      name: 'inline credential value',
      spec: {
        ...SPEC,
        policy: {
          inline: {
            ...POLICY,
            probe: {
              ...POLICY.probe,
              tenants: [
                POLICY.probe.tenants[0],
                { name: 'bob', identity: 'bob', auth: { bearer: { value: 'secret' } } },
              ],
            },
          },
        },
      },
      field: 'spec.policy.inline.probe.tenants[1].auth.bearer.value',
    },
    { name: 'not an object', spec: 'nonsense', field: 'spec' },
  ];

  for (const c of cases) {
    it(`${c.name}: phase Invalid naming ${c.field}, an Event and nothing else`, () => {
      const story = adopted();
      story.spec = c.spec;
      const output = story.step();
      expect(output.status.phase).toBe('Invalid');
      expect(output.status.message).toContain(c.field);
      expect(kinds(output.actions)).toEqual(['emitEvent']);
      expect(story.peek().actions).toEqual([]);
    });
  }

  it('reports ConfigMap policy problems handed in by the adapter', () => {
    const output = decide({
      now: T0,
      guard: { name: 'shop', generation: 2, spec: SPEC },
      observed: freshWorld(),
      reports: [],
      policyProblems: [
        { path: 'spec.policy.configMapRef', message: 'ConfigMap shop-policy not found' },
      ],
    });
    expect(output.status.phase).toBe('Invalid');
    expect(output.status.message).toBe('spec.policy.configMapRef: ConfigMap shop-policy not found');
    expect(output.status.observedGeneration).toBe(2);
  });

  it('resumes where it was once the spec is fixed', () => {
    const story = inCanary(SHA.two);
    story.spec = { ...SPEC, bakeTime: 'later' };
    story.step();
    story.spec = SPEC;
    const output = story.step();
    expect(output.status.phase).toBe('Canary');
    expect(kinds(output.actions)).not.toContain('checkApproval');
  });
});

describe('decide: restarts and repeats', () => {
  it('feeding its own status back with the same observations and reports repeats no decision', () => {
    const story = new Story();
    const script: [() => void, Report[]][] = [
      [() => {}, []],
      [() => {}, []],
      [() => story.deploy(template(SHA.two), 3), []],
      [() => {}, [approval(H2, SHA.two, 'denied')]],
      [() => {}, [approval(H2, SHA.two, 'approved')]],
      [() => {}, []],
      [() => {}, [probe('candidate', 'canary', H2, 'pass')]],
      [() => {}, [approval(H2, SHA.two, 'approved')]],
      [() => {}, [probe('stable', 'guard', H2, 'leak')]],
      [() => (story.now += 600_000), [probe('stable', 'bake', H2, 'pass', 'bake-1')]],
      [() => {}, [probe('stable', 'guard', H2, 'leak', 'guard-2')]],
      [() => story.deploy(template(SHA.three), 0), []],
      [() => {}, [approval(H3, SHA.three, 'approved')]],
      [() => {}, []],
      [() => {}, [probe('candidate', 'canary', H3, 'leak')]],
    ];
    for (const [change, reports] of script) {
      change();
      story.step(reports);
      const before = story.status;
      const again = story.repeat(reports);
      expect(oneShot(again.actions), `step ${script.findIndex((s) => s[1] === reports)}`).toEqual(
        [],
      );
      expect(again.status.decisions).toEqual(before?.decisions);
      expect(again.status.phase).toBe(before?.phase);
      expect(again.status.conditions).toEqual(before?.conditions);
    }
    expect(story.status?.phase).toBe('Reverted');
  });

  it('resumes a canary after a restart: probes again, does not re-ask the gate', () => {
    const story = inCanary(SHA.two);
    story.observed.probe = null; // the new operator process has no probe running
    const output = story.step();
    expect(output.status.phase).toBe('Canary');
    expect(output.actions).toEqual([
      { kind: 'startProbe', target: 'candidate', mode: 'canary', templateHash: H2 },
    ]);
  });

  it('resumes a bake after a restart', () => {
    const story = inCanary(SHA.two);
    passCanary(story, SHA.two);
    story.observed.probe = null;
    const output = story.step();
    expect(output.status.phase).toBe('Baking');
    expect(output.actions).toEqual([
      { kind: 'startProbe', target: 'stable', mode: 'bake', templateHash: H2 },
    ]);
  });

  it('repairs <name>-stable when it drifted from status', () => {
    const story = adopted();
    story.observed.stable = { templateHash: 'someone-else', ready: true };
    const output = story.step();
    expect(output.actions).toContainEqual(
      expect.objectContaining({ kind: 'setStable', templateHash: H1, why: 'repair' }),
    );
    expect(oneShot(output.actions)).toEqual([]);
  });

  it(`keeps the newest ${MAX_DECISIONS} decisions`, () => {
    const story = adopted();
    const filler = Array.from({ length: MAX_DECISIONS }, (_, i) => ({
      at: new Date(T0).toISOString(),
      reason: 'Old',
      message: `old ${i}`,
    }));
    story.status = { ...(story.status as ReleaseGuardStatus), decisions: filler };
    story.deploy(template(SHA.two), 0);
    const output = story.step();
    expect(output.status.decisions).toHaveLength(MAX_DECISIONS);
    expect(output.status.decisions.at(-1)?.reason).toBe('ReleaseDetected');
    expect(output.status.decisions[0]?.message).toBe('old 1');
  });
});

describe('decide: a revert whose status was never written', () => {
  it('keeps a candidate rejected when only the scale to zero reached the API server', () => {
    const story = inCanary(SHA.two);
    const before = story.status;
    story.step([probe('candidate', 'canary', H2, 'leak')]);
    // The operator stopped after the scale to zero: status is still the canary's.
    story.status = before;
    expect(story.status?.phase).toBe('Canary');
    const resumed = story.step([approval(H2, SHA.two, 'approved')]);
    expect(resumed.status.phase).toBe('Reverted');
    expect(resumed.status.rejected.map((r) => r.templateHash)).toEqual([H2]);
    expect(events(resumed.actions).map((e) => e.reason)).toEqual(['Reverted']);
    expect(resumed.actions).not.toContainEqual(
      expect.objectContaining({ kind: 'startProbe', target: 'candidate' }),
    );
    expect(resumed.actions).not.toContainEqual(
      expect.objectContaining({ kind: 'scaleCandidate', replicas: 1 }),
    );
    // Once recorded, the mark on the Deployment is news no more.
    expect(oneShot(story.step().actions)).toEqual([]);
  });

  it('keeps the evidence when the leak report arrives after the operator scaled down at once', () => {
    const story = inCanary(SHA.two);
    const target = story.observed.target;
    if (!target) throw new Error('no target');
    // The operator's reflex: zero replicas and the mark, before decide() sees the leak.
    story.observed.target = {
      ...target,
      replicas: 0,
      annotations: { ...target.annotations, [REJECTED_TEMPLATE]: H2 },
    };
    const output = story.step([probe('candidate', 'canary', H2, 'leak')]);
    expect(output.status.rejected.map((r) => r.templateHash)).toEqual([H2]);
    expect(output.status.lastLeak).toMatchObject({ templateHash: H2, tenant: 'alice' });
    expect(events(output.actions).map((e) => e.reason)).toEqual(['Reverted']);
  });

  it('repairs -stable back when it holds the candidate while status still says Canary', () => {
    const story = inCanary(SHA.two);
    const canary = story.status;
    passCanary(story, SHA.two);
    // A new operator: status as before the promotion, and no probe running. The copy on
    // -stable cannot be told from one a person made, so it is not taken as a promotion.
    story.status = canary;
    story.observed.probe = null;
    const resumed = story.step();
    expect(resumed.status.phase).toBe('Canary');
    expect(resumed.status.stable?.templateHash).toBe(H1);
    expect(events(resumed.actions).map((e) => e.reason)).not.toContain('Promoted');
    expect(resumed.actions).toContainEqual(
      expect.objectContaining({ kind: 'setStable', templateHash: H1, why: 'repair' }),
    );
    // The candidate comes back for its canary, to be probed again before any promotion.
    expect(resumed.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 1 });
    expect(story.observed.stable?.templateHash).toBe(H1);
  });

  it('finishes a restore when only the rollback of -stable reached the API server', () => {
    const story = inCanary(SHA.two);
    passCanary(story, SHA.two);
    const baking = story.status;
    story.now += 60_000;
    story.step([probe('stable', 'bake', H2, 'leak', 'bake-1')]);
    story.status = baking;
    const resumed = story.step();
    expect(resumed.status.phase).toBe('Reverted');
    expect(resumed.status.stable?.templateHash).toBe(H1);
    expect(resumed.status.previousStable).toBeUndefined();
    expect(resumed.status.rejected.map((r) => r.templateHash)).toEqual([H2]);
    expect(events(resumed.actions).map((e) => e.reason)).toEqual(['RolledBack']);
    // Without the mark, status would have "repaired" -stable back to the leaking template.
    expect(resumed.actions).not.toContainEqual(
      expect.objectContaining({ kind: 'setStable', templateHash: H2 }),
    );
    expect(story.observed.stable?.templateHash).toBe(H1);
  });
});

describe('decide: a target vakt cannot route to', () => {
  it('is Invalid when the Deployment selects its pods by matchExpressions alone', () => {
    const world = freshWorld();
    if (world.target) world.target.matchLabels = {};
    const output = new Story(world).step();
    expect(output.status.phase).toBe('Invalid');
    expect(output.status.message).toMatch(
      /^spec\.targetRef\.name: Deployment shop selects its pods by matchExpressions alone/,
    );
    expect(kinds(output.actions)).toEqual(['emitEvent']);
  });
});

describe('decide: other Services that select the target', () => {
  it('does not take the target down while a Service of the users still selects it', () => {
    const story = new Story();
    story.step();
    story.observed.exposedBy = ['shop-public'];
    const waiting = story.step();
    expect(waiting.status.phase).toBe('Initializing');
    expect(waiting.status.message).toMatch(
      /Service shop-public selects the pods of Deployment shop/,
    );
    expect(waiting.status.message).toMatch(/vakt\.dev\/guard=shop, vakt\.dev\/role=stable/);
    expect(kinds(waiting.actions)).not.toContain('scaleCandidate');
    expect(events(waiting.actions).map((e) => e.reason)).toEqual(['ServiceSelectsTarget']);
    expect(waiting.requeueAfterMs).toBeGreaterThan(0);
    expect(events(story.step().actions)).toEqual([]);

    story.observed.exposedBy = [];
    const adopted = story.step();
    expect(adopted.status.phase).toBe('Idle');
    expect(adopted.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
  });

  it('keeps an approved candidate at zero while another Service would send users to it', () => {
    const story = adopted();
    story.deploy(template(SHA.two));
    story.step();
    story.observed.exposedBy = ['shop-public'];
    const held = story.step([approval(H2, SHA.two, 'approved')]);
    expect(held.status.phase).toBe('Blocked');
    expect(held.status.message).toMatch(/Service shop-public selects the candidate's pods/);
    expect(kinds(held.actions)).not.toContain('startProbe');
    expect(story.observed.target?.replicas).toBe(0);
    expect(events(held.actions).map((e) => e.reason)).toEqual(['Approved', 'CandidateExposed']);

    story.observed.exposedBy = [];
    const going = story.step();
    expect(going.status.phase).toBe('Canary');
    expect(going.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 1 });
  });

  it('takes a running canary down when a Service starts selecting it', () => {
    const story = inCanary(SHA.two);
    story.observed.exposedBy = ['shop-public'];
    const output = story.step();
    expect(output.status.phase).toBe('Blocked');
    expect(output.actions[0]).toEqual({ kind: 'scaleCandidate', replicas: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import type { Action } from '../src/release/state.ts';
import { templateHash } from '../src/release/template.ts';
import {
  adopted,
  approval,
  events,
  H2,
  inCanary,
  kinds,
  pinnedImage,
  probe,
  SHA,
  Story,
  template,
} from './support/decide-story.ts';

/**
 * Status is a record of what the gate said, never the authority for what may serve: the
 * gate is asked again once the canary has passed, and an approval is bound to the policy
 * it was given under, so a stricter policy takes it back.
 */

const checks = (actions: Action[]) => actions.filter((a) => a.kind === 'checkApproval');
const setStable = (actions: Action[]) => actions.filter((a) => a.kind === 'setStable');

describe('decide: the approval is confirmed before promotion', () => {
  it('asks the gate again once the canary passed, and promotes only on its answer', () => {
    const story = inCanary(SHA.two);
    const passed = story.step([probe('candidate', 'canary', H2, 'pass')]);
    expect(passed.status.phase).toBe('Canary');
    expect(setStable(passed.actions)).toEqual([]);
    expect(checks(passed.actions)).toEqual([
      expect.objectContaining({ templateHash: H2, revision: SHA.two }),
    ]);
    expect(passed.status.message).toMatch(/confirming its approvals before promotion/);
    expect(passed.status.canaryPassed).toMatchObject({ templateHash: H2, runId: 'run-1' });

    // Nothing changes until the gate answers, however often decide() runs.
    expect(setStable(story.step().actions)).toEqual([]);
    expect(story.status?.phase).toBe('Canary');

    const promoted = story.step([approval(H2, SHA.two, 'approved')]);
    expect(promoted.status.phase).toBe('Baking');
    expect(setStable(promoted.actions)).toEqual([
      expect.objectContaining({ templateHash: H2, why: 'promote' }),
    ]);
    expect(events(promoted.actions).map((e) => e.reason)).toEqual(['Promoted']);
    expect(events(promoted.actions)[0]?.message).toMatch(/approved by carol, dave \(confirmed\)/);
    expect(promoted.status.canaryPassed).toBeUndefined();
  });

  it('an approval withdrawn during the canary stops the promotion and takes the candidate out', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'pass')]);
    const denied = story.step([approval(H2, SHA.two, 'denied')]);
    expect(denied.status.phase).toBe('Blocked');
    expect(setStable(denied.actions)).toEqual([]);
    expect(denied.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(denied.status.stable?.templateHash).not.toBe(H2);
    expect(denied.status.canaryPassed).toBeUndefined();

    // Approved again later: the canary runs again before any promotion.
    story.step([approval(H2, SHA.two, 'approved')]);
    expect(story.status?.phase).toBe('Canary');
    const next = story.step([approval(H2, SHA.two, 'approved')]);
    expect(setStable(next.actions)).toEqual([]);
  });

  it('an approved outcome written into status does not promote a passing canary by itself', () => {
    const story = inCanary(SHA.two);
    // Status says approved (as it would after a restart, or if anyone but vakt wrote it).
    expect(story.status?.approval?.outcome).toBe('approved');
    const passed = story.step([probe('candidate', 'canary', H2, 'pass')]);
    expect(setStable(passed.actions)).toEqual([]);
    expect(kinds(passed.actions)).toContain('checkApproval');
  });

  it('asks again when the gate does not answer the confirmation', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'pass')]);
    story.now += 5_000;
    expect(checks(story.step().actions)).toEqual([]);
    story.now += 10_000;
    expect(checks(story.step().actions)).toHaveLength(1);
  });

  it('a release detected anew forgets a pass of the template before', () => {
    const story = inCanary(SHA.two);
    story.step([probe('candidate', 'canary', H2, 'pass')]);
    story.deploy(template(SHA.three));
    const detected = story.step();
    expect(detected.status.canaryPassed).toBeUndefined();
    expect(detected.status.phase).toBe('Blocked');
  });
});

describe('decide: approvals are bound to the policy', () => {
  function canaryUnder(digest: string): Story {
    const story = new Story();
    story.policyDigest = digest;
    story.step();
    story.step();
    story.deploy(template(SHA.two));
    story.step();
    story.step([approval(H2, SHA.two, 'approved', digest)]);
    story.step();
    return story;
  }

  it('records the digest of the policy and the approval given under it', () => {
    const story = canaryUnder('sha256:p1');
    expect(story.status?.phase).toBe('Canary');
    expect(story.status?.policyDigest).toBe('sha256:p1');
    expect(story.status?.approval?.policyDigest).toBe('sha256:p1');
  });

  it('a changed policy takes the approval back: candidate to zero, the gate asked under the new policy', () => {
    const story = canaryUnder('sha256:p1');
    story.policyDigest = 'sha256:p2';
    const changed = story.step();
    expect(changed.status.phase).toBe('Blocked');
    expect(changed.actions).toContainEqual({ kind: 'scaleCandidate', replicas: 0 });
    expect(checks(changed.actions)).toEqual([
      expect.objectContaining({ templateHash: H2, revision: SHA.two, policyDigest: 'sha256:p2' }),
    ]);
    expect(events(changed.actions).map((e) => e.reason)).toEqual(['PolicyChanged', 'Blocked']);
    expect(changed.status.policyDigest).toBe('sha256:p2');

    // An answer given under the old policy is stale and ignored.
    const stale = story.step([approval(H2, SHA.two, 'approved', 'sha256:p1')]);
    expect(stale.status.phase).toBe('Blocked');

    // The gate says yes under the new policy: the canary resumes.
    const fresh = story.step([approval(H2, SHA.two, 'approved', 'sha256:p2')]);
    expect(fresh.status.phase).toBe('Canary');
    expect(fresh.status.approval?.policyDigest).toBe('sha256:p2');
  });

  it('a confirmation given under an older policy does not promote', () => {
    const story = canaryUnder('sha256:p1');
    story.step([probe('candidate', 'canary', H2, 'pass')]);
    story.policyDigest = 'sha256:p2';
    const next = story.step([approval(H2, SHA.two, 'approved', 'sha256:p1')]);
    expect(setStable(next.actions)).toEqual([]);
    expect(next.status.phase).toBe('Blocked');
  });

  it('the same policy decided again changes nothing', () => {
    const story = canaryUnder('sha256:p1');
    const again = story.step();
    expect(again.status.phase).toBe('Canary');
    expect(events(again.actions)).toEqual([]);
    expect(checks(again.actions)).toEqual([]);
  });
});

describe('decide: what the gate is asked about', () => {
  const digest = (image: string) => image.split('@sha256:')[1] ?? '';

  it('names every image digest the candidate runs, init containers too, each once', () => {
    const story = adopted();
    const main = pinnedImage('main');
    const init = pinnedImage('migrate');
    const tpl = template(SHA.two, main);
    (tpl.spec as Record<string, unknown>).initContainers = [
      { name: 'migrate', image: init },
      { name: 'again', image: main },
    ];
    story.deploy(tpl, 3);
    const detected = story.step();
    const [check] = checks(detected.actions);
    expect(check).toMatchObject({ revision: SHA.two, templateHash: templateHash(tpl) });
    expect(check?.kind === 'checkApproval' && check.digests).toEqual(
      [digest(main), digest(init)].sort(),
    );
  });

  it("shows the gate's warnings in status, the Approved Event and the commit status", () => {
    const story = adopted();
    story.deploy(template(SHA.two), 3);
    story.step();
    const warned = { ...approval(H2, SHA.two, 'approved'), warnings: ['provenance is off'] };
    const next = story.step([warned]);
    expect(next.status.approval?.message).toBe(
      'approved by carol, dave; warning: provenance is off',
    );
    const [approved] = events(next.actions).filter((e) => e.reason === 'Approved');
    expect(approved?.message).toContain('warning: provenance is off');
    const status = next.actions.find((a) => a.kind === 'postCommitStatus' && a.state === 'success');
    // First in the description, which GitHub cuts at 140 characters.
    expect(status?.kind === 'postCommitStatus' && status.description).toBe(
      'provenance is off; approved by carol, dave',
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { Action, DecideOutput } from '../src/release/state.ts';
import {
  approval,
  events,
  H1,
  H2,
  H3,
  inCanary,
  kinds,
  oneShot,
  passCanary,
  probe,
  SHA,
  type Story,
  template,
} from './support/decide-story.ts';

/**
 * The bake: a promoted template serves users and stays under probe. Baked (and the
 * `vakt/probe` success on its commit) needs a bake run that ended meeting the leak-rate
 * bound, not only the bake time gone by: a bake whose runs never finish proves nothing.
 */

const BAKE_MS = 600_000; // SPEC.bakeTime

/** A guard that has just promoted SHA.two and bakes it. */
function baking(): Story {
  const story = inCanary(SHA.two);
  passCanary(story, SHA.two);
  return story;
}

function probeStatuses(actions: Action[]): { state: string; description: string }[] {
  return actions.flatMap((a) =>
    a.kind === 'postCommitStatus' && a.context === 'vakt/probe' ? [a] : [],
  );
}

function condition(output: DecideOutput, type: string) {
  return output.status.conditions.find((c) => c.type === type);
}

describe('decide: the end of a bake', () => {
  it('stays Baking past the bake time while no bake run has finished, and says why', () => {
    const story = baking();
    story.now += 60_000;
    story.step([probe('stable', 'bake', H2, 'running', 'bake-1')]);
    story.now += BAKE_MS;
    const over = story.step([probe('stable', 'bake', H2, 'running', 'bake-1')]);
    expect(over.status.phase).toBe('Baking');
    expect(over.status.stable?.templateHash).toBe(H2);
    expect(over.status.previousStable?.templateHash).toBe(H1);
    expect(over.status.message).toMatch(
      /bake time over, but no bake run has completed with a pass yet: run bake-1 is still running/,
    );
    expect(events(over.actions).map((e) => [e.type, e.reason])).toEqual([
      ['Warning', 'BakeExtended'],
    ]);
    expect(probeStatuses(over.actions)).toEqual([]);
    expect(condition(over, 'ProbesPassing')).toMatchObject({
      status: 'Unknown',
      reason: 'BakeNotPassed',
    });
    // The bake probe keeps going (the adapter runs it already), and nothing is repeated.
    expect(kinds(over.actions)).not.toContain('startProbe');
    expect(oneShot(story.repeat().actions)).toEqual([]);
    story.now += 3_600_000;
    expect(story.step().status.phase).toBe('Baking');
  });

  it('stays Baking while the runs end inconclusive, and bakes at the first pass', () => {
    const story = baking();
    const slow = { ...probe('stable', 'bake', H2, 'inconclusive', 'bake-1'), reason: 'too slow' };
    story.now += 60_000;
    expect(story.step([slow]).status.bake).toMatchObject({ templateHash: H2, passedRuns: 0 });
    story.now += BAKE_MS;
    const over = story.step();
    expect(over.status.phase).toBe('Baking');
    expect(over.status.message).toMatch(
      /bake time over, but no bake run has completed with a pass yet: last run inconclusive: too slow/,
    );
    expect(probeStatuses(over.actions)).toEqual([]);

    const passed = story.step([probe('stable', 'bake', H2, 'pass', 'bake-2')]);
    expect(passed.status.phase).toBe('Idle');
    expect(passed.status.previousStable).toBeUndefined();
    expect(passed.status.bake).toMatchObject({ templateHash: H2, passedRuns: 1 });
    expect(events(passed.actions).map((e) => e.reason)).toEqual(['Baked']);
    expect(probeStatuses(passed.actions)).toEqual([expect.objectContaining({ state: 'success' })]);
    expect(condition(passed, 'ProbesPassing')).toMatchObject({ status: 'True', reason: 'Baked' });
    expect(passed.actions).toContainEqual(
      expect.objectContaining({ kind: 'startProbe', target: 'stable', mode: 'guard' }),
    );
  });

  it('counts a pass only when it met the bound', () => {
    const story = baking();
    const loose = { ...probe('stable', 'bake', H2, 'pass', 'bake-1'), leakRateBound: 0.002 };
    story.now += BAKE_MS;
    const output = story.step([loose]);
    expect(output.status.phase).toBe('Baking');
    expect(output.status.bake?.passedRuns).toBe(0);
    expect(output.status.message).toMatch(
      /last run ended without meeting the bound: leak rate below 0.0020, policy 0.001/,
    );
  });

  it('counts a run delivered twice once', () => {
    const story = baking();
    const pass = probe('stable', 'bake', H2, 'pass', 'bake-1');
    story.step([pass]);
    story.step([pass, pass]);
    expect(story.status?.bake?.passedRuns).toBe(1);
    story.step([probe('stable', 'bake', H2, 'pass', 'bake-2')]);
    expect(story.status?.bake?.passedRuns).toBe(2);
  });

  it('bakes at the deadline when a run passed during the bake time', () => {
    const story = baking();
    story.now += 60_000;
    const passed = story.step([probe('stable', 'bake', H2, 'pass', 'bake-1')]);
    expect(passed.status.phase).toBe('Baking');
    expect(passed.status.bake?.passedRuns).toBe(1);
    expect(events(passed.actions)).toEqual([]);
    story.now += BAKE_MS - 60_000;
    const baked = story.step();
    expect(baked.status.phase).toBe('Idle');
    expect(events(baked.actions).map((e) => e.reason)).toEqual(['Baked']);
    expect(events(baked.actions)[0]?.message).toMatch(/1 bake run passed/);
  });

  it('knows after a restart whether a bake run passed: status says so', () => {
    const unproven = baking();
    unproven.now += BAKE_MS;
    unproven.observed.probe = null; // a new operator: no probe running, no reports
    const resumed = unproven.step();
    expect(resumed.status.phase).toBe('Baking');
    expect(resumed.status.message).toMatch(/no bake run has finished yet/);
    expect(resumed.actions).toContainEqual({
      kind: 'startProbe',
      target: 'stable',
      mode: 'bake',
      templateHash: H2,
    });

    const proven = baking();
    proven.step([probe('stable', 'bake', H2, 'pass', 'bake-1')]);
    proven.now += BAKE_MS;
    proven.observed.probe = null;
    expect(proven.step().status.phase).toBe('Idle');
  });

  it('bakes each promotion on its own runs, not on the passes of the one before', () => {
    const story = baking();
    story.step([probe('stable', 'bake', H2, 'pass', 'bake-1')]);
    story.now += BAKE_MS;
    expect(story.step().status.phase).toBe('Idle');
    story.deploy(template(SHA.three));
    story.step();
    story.step([approval(H3, SHA.three, 'approved')]);
    story.step();
    const promoted = passCanary(story, SHA.three);
    expect(promoted.status.bake).toEqual({ templateHash: H3, passedRuns: 0 });
    story.now += BAKE_MS;
    expect(story.step().status.phase).toBe('Baking');
  });

  it('still restores the previous release on a leak after the bake time', () => {
    const story = baking();
    story.now += BAKE_MS + 60_000;
    story.step();
    const output = story.step([probe('stable', 'bake', H2, 'leak', 'bake-1')]);
    expect(output.status.phase).toBe('Reverted');
    expect(output.status.stable?.templateHash).toBe(H1);
    expect(output.status.bake).toBeUndefined();
    expect(events(output.actions).map((e) => e.reason)).toEqual(['RolledBack']);
  });
});

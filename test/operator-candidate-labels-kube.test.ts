import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodTemplate } from '../src/release/template.ts';
import { admit } from './support/admission.ts';
import { chart, create, EDITOR, type Json, update } from './support/chart-admission.ts';
import { type KubeWorld, NS, startKubeWorld } from './support/kube-world.ts';
import { offline } from './support/offline.ts';
import { github, image, mockGitHub, SHA, spec, template } from './support/operator-fixtures.ts';
import { shopsPerTest } from './support/shops.ts';

/**
 * The operator records the candidate's pod labels in status.candidateLabels, through the
 * real Kubernetes adapter and the fake API server, and the chart's -candidate-services
 * policy, judged with the guard as the API server stores it, refuses a Service selecting
 * them: from adoption on, and following each new template.
 */

offline({ loopback: true });
const startShop = shopsPerTest();
let world: KubeWorld | undefined;

beforeEach(() => {
  github.reset();
  mockGitHub();
});

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const STABLE = { 'vakt.dev/guard': 'shop', 'vakt.dev/role': 'stable' };

const userService = (name: string, selector: Record<string, string>): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
});

/** What the chart's policies say to `request`, with the guard as stored now as the param. */
function judged(w: KubeWorld, request: ReturnType<typeof create>): string[] {
  return admit(chart, request, [w.guard()]).denials;
}

describe('operator: the candidate labels admission reads', () => {
  it('records them at adoption and with each new template; the chart refuses a Service selecting them', async () => {
    const shop = await startShop({ version: 'v1' });
    world = await startKubeWorld({
      spec: spec(),
      template: template(SHA.v1, 'v1'),
      urls: [[image('v1'), shop.url]],
    });
    const w = world;
    // The users' own Service on the target: vakt waits for it to move before it adopts.
    w.kube.store.put(userService('shop-web', { app: 'shop' }));
    w.start();
    await w.waitFor('the warning', () => w.events('ServiceSelectsTarget').length > 0);
    expect(w.status()?.phase).toBe('Initializing');
    expect(w.status()?.candidateLabels).toBeUndefined();
    // The target still serves its users, so their Service may still be changed.
    expect(
      judged(
        w,
        update(EDITOR, userService('shop-web', { app: 'shop' }), (s) => {
          s.spec.ports[0].port = 81;
        }),
      ),
    ).toEqual([]);

    w.kube.store.put(userService('shop-web', STABLE));
    w.annotateGuard('touched', '1');
    await w.waitFor('adoption', () => w.status()?.phase === 'Idle');
    expect(w.status()?.candidateLabels).toEqual({ app: 'shop' });
    expect(judged(w, create(EDITOR, userService('shop-public', { app: 'shop' })))).toEqual([
      expect.stringMatching(
        /^Service shop-public selects the pods of Deployment shop, the candidate of ReleaseGuard shop/,
      ),
    ]);
    expect(judged(w, create(EDITOR, userService('shop-public', STABLE)))).toEqual([]);

    // A release with a label of its own (no approvals: it waits at zero).
    const v2: PodTemplate = structuredClone(template(SHA.v2, 'v2'));
    (v2.metadata as { labels: Record<string, string> }).labels = { app: 'shop', track: 'v2' };
    w.applyDeployment(v2, 3);
    await w.waitFor('the new labels', () => w.status()?.candidateLabels?.track === 'v2');
    expect(w.status()?.phase).toBe('Blocked');
    expect(w.status()?.candidateLabels).toEqual({ app: 'shop', track: 'v2' });
    expect(judged(w, create(EDITOR, userService('shop-v2', { track: 'v2' })))).toEqual([
      expect.stringMatching(/^Service shop-v2 selects the pods of Deployment shop/),
    ]);
  });

  it("knows vakt's own shop-canary by the guard's uid, as the operator created it", async () => {
    const shop = await startShop({ version: 'v1' });
    world = await startKubeWorld({
      spec: spec(),
      template: template(SHA.v1, 'v1'),
      urls: [[image('v1'), shop.url]],
    });
    const w = world;
    w.start();
    await w.waitFor('adoption', () => w.status()?.phase === 'Idle');
    const policy = chart.filter(
      (o) =>
        o.metadata.name === 'vakt-candidate-services' && o.kind.startsWith('ValidatingAdmission'),
    );
    const canary = w.service('shop-canary');
    expect(canary?.spec).toMatchObject({ selector: { app: 'shop' } });
    const annotate = update(EDITOR, canary, (s) => {
      s.metadata.annotations = { note: 'x' };
    });
    expect(admit(policy, annotate, [w.guard()]).denials).toEqual([]);
    // The same Service under another guard of the same name (another uid) is no guard's own.
    const other = { ...w.guard(), metadata: { ...w.guard()?.metadata, uid: 'another' } };
    expect(admit(policy, annotate, [other]).denials).toEqual([
      expect.stringMatching(/^Service shop-canary selects the pods of Deployment shop/),
    ]);
  });
});

// Foreign edits of <name>-stable and the operator's repair of them, timed at the fake API
// server: `kubectl set image` on -stable (a new image, the vakt.dev/template-hash
// annotation left alone) until the operator's write puts the stable image back. Run by the
// operator bench (bench/operator.ts) against its operator carrying every guard, after its
// releases, on guards that had none. For scale, the fake API server's own round trip of
// one GET, timed in the same run.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeKube, KubeObject } from '../test/support/fake-kube/index.ts';
import { type Figure, median } from './support.ts';

const FOREIGN_IMAGE = 'registry.evil.example/backdoor:1';

type Containers = { spec: { template: { spec: { containers: { image: string }[] } } } };
const imageOf = (object: KubeObject | undefined) =>
  (object as unknown as Containers | undefined)?.spec.template.spec.containers[0]?.image;

/** Milliseconds from each foreign edit to the write that repaired it, one guard at a time. */
export async function timeRepairs(
  kube: FakeKube,
  namespace: string,
  guards: string[],
  timeoutMs = 60_000,
): Promise<number[]> {
  const times: number[] = [];
  for (const guard of guards) {
    const name = `${guard}-stable`;
    const current = kube.store.get('Deployment', namespace, name);
    const stableImage = imageOf(current);
    if (!current || !stableImage) throw new Error(`no ${namespace}/${name} to edit`);
    const repaired = Promise.withResolvers<number>();
    const unsubscribe = kube.store.onWrite((kind, object) => {
      if (kind !== 'Deployment' || object.metadata.name !== name) return;
      if (imageOf(object) === stableImage) repaired.resolve(performance.now());
    });
    // `kubectl set image`: the object as stored, one image changed, every annotation kept.
    const edited = structuredClone(current) as unknown as Containers;
    for (const container of edited.spec.template.spec.containers) container.image = FOREIGN_IMAGE;
    const at = performance.now();
    kube.store.put(edited as unknown as KubeObject);
    try {
      const done = await Promise.race([
        repaired.promise,
        sleep(timeoutMs).then(() => Promise.reject(new Error(`${name} not repaired in time`))),
      ]);
      times.push(done - at);
    } finally {
      unsubscribe();
    }
  }
  return times;
}

/** The fake API server's round trip of one GET of a Deployment, from this process. */
export async function timeGets(
  kube: FakeKube,
  namespace: string,
  name: string,
  count: number,
): Promise<number[]> {
  const url = `${kube.url}/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = performance.now();
    const response = await fetch(url, { headers: { authorization: 'Bearer fake-token' } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    times.push(performance.now() - at);
  }
  return times;
}

export function repairFigures(repairs: number[], gets: number[]): Figure[] {
  const sorted = [...repairs].sort((a, b) => a - b);
  const repair = median(repairs);
  const get = median(gets);
  return [
    {
      name: 'repair of a foreign -stable edit',
      value: repair,
      unit: 'ms median',
      note: `max ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ms (${repairs.length} edits, one at a time); ${(repair / get).toFixed(1)}x the API server's round trip of one GET (${get.toFixed(2)} ms median of ${gets.length})`,
    },
  ];
}

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parsePolicy } from '../src/policy/load.ts';
import { HOOKS } from '../src/serve/hooks.ts';
import { crdProblems, schemaKinds } from './support/crd-schema.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DOCS = join(ROOT, 'docs/integrations');

/** What Flux's postBuild.substituteFrom (or envsubst) fills in at deploy time. */
const SUBSTITUTIONS: Record<string, string> = {
  VAKT_SERVE_TOKEN: 'example-token-0123456789abcdef',
  SHOP_IMAGE: `ghcr.io/acme/shop@sha256:${'4f'.repeat(32)}`,
};

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, of whatever shape the manifests have
type Obj = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith('.yaml') ? [path] : [];
  });
}

/** Every object in the docs, rendered as it would be applied. */
function render(): { file: string; object: Obj }[] {
  return yamlFiles(DOCS).flatMap((path) => {
    const file = relative(ROOT, path);
    const text = readFileSync(path, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => {
      const value = SUBSTITUTIONS[name];
      if (value === undefined) throw new Error(`${file}: ${whole} is not a documented variable`);
      return value;
    });
    return parseAllDocuments(text).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return { file, object: doc.toJS() as Obj };
    });
  });
}

const rendered = render();
const ofKind = (kind: string) => rendered.filter((r) => r.object.kind === kind);
const vaktContainers = () =>
  rendered.flatMap(({ file, object }) =>
    containersOf(object)
      .filter((c) => String(c.image).includes('/vakt'))
      .map((container) => ({ file, object, container })),
  );

function containersOf(object: Obj): Obj[] {
  const pod =
    object.kind === 'AnalysisTemplate'
      ? object.spec.metrics.map((m: Obj) => m.provider.job?.spec.template.spec)
      : [object.spec?.template?.spec];
  return pod.filter(Boolean).flatMap((spec: Obj) => spec.containers ?? []);
}

describe('docs/integrations manifests', () => {
  it('validate against the Argo Rollouts and Flagger CRD schemas', () => {
    const checked: string[] = [];
    for (const { file, object } of rendered) {
      const problems = crdProblems(object);
      if (problems === undefined) {
        expect(['ConfigMap', 'Deployment', 'Service', 'ServiceAccount', 'NetworkPolicy']).toContain(
          object.kind,
        );
        continue;
      }
      expect(problems, `${file}: ${object.kind} ${object.metadata?.name}`).toEqual([]);
      checked.push(`${object.kind}/${object.metadata.name}`);
    }
    expect(checked.sort()).toEqual([
      'AnalysisTemplate/vakt-gate',
      'AnalysisTemplate/vakt-probe',
      'Canary/shop',
      'Rollout/shop',
      'Rollout/shop',
    ]);
    expect(schemaKinds()).toHaveLength(3);
  });

  it('catch what the CRDs would refuse or silently drop', () => {
    const rollout = structuredClone(
      ofKind('Rollout').find((r) => r.object.spec.strategy.canary)?.object,
    ) as Obj;
    const template = structuredClone(ofKind('AnalysisTemplate')[0]?.object) as Obj;
    const canary = structuredClone(ofKind('Canary')[0]?.object) as Obj;
    const broken: [string, Obj, (o: Obj) => void, RegExp][] = [
      [
        'a misspelt step',
        rollout,
        (o) => o.spec.strategy.canary.steps.push({ setWieght: 5 }),
        /unknown field "setWieght"/,
      ],
      [
        'a weight as text',
        rollout,
        (o) => o.spec.strategy.canary.steps.push({ setWeight: '10' }),
        /must be integer/,
      ],
      [
        'a container without a name',
        rollout,
        (o) => delete o.spec.template.spec.containers[0].name,
        /must have required property 'name'/,
      ],
      [
        'a metric without a provider',
        template,
        (o) => delete o.spec.metrics[0].provider,
        /must have required property 'provider'/,
      ],
      [
        'an arg without a name',
        template,
        (o) => o.spec.args.push({ value: 'x' }),
        /must have required property 'name'/,
      ],
      [
        'a job without a spec',
        template,
        (o) => delete o.spec.metrics[0].provider.job.spec,
        /must have required property 'spec'/,
      ],
      [
        'an unknown webhook type',
        canary,
        (o) => {
          o.spec.analysis.webhooks[0].type = 'confirm';
        },
        /must be equal to one of the allowed values/,
      ],
      [
        'a timeout without a unit',
        canary,
        (o) => {
          o.spec.analysis.webhooks[0].timeout = '30';
        },
        /must match pattern/,
      ],
      [
        'metadata that is not text',
        canary,
        (o) => {
          o.spec.analysis.webhooks[0].metadata.retries = 3;
        },
        /must be string/,
      ],
      [
        'both stepWeight and iterations',
        canary,
        (o) => {
          o.spec.analysis.iterations = 5;
        },
        /must match exactly one schema in oneOf/,
      ],
      [
        'no targetRef',
        canary,
        (o) => delete o.spec.targetRef,
        /must have required property 'targetRef'/,
      ],
    ];
    for (const [what, original, mutate, message] of broken) {
      const object = structuredClone(original);
      mutate(object);
      expect((crdProblems(object) ?? []).join('\n'), what).toMatch(message);
    }
  });

  it('pass every argument each AnalysisTemplate asks for', () => {
    const templates = new Map(
      ofKind('AnalysisTemplate').map((t) => [t.object.metadata.name, t.object]),
    );
    for (const { file, object } of ofKind('Rollout')) {
      const strategy = object.spec.strategy;
      const uses: Obj[] = [
        ...(strategy.blueGreen ? [strategy.blueGreen.prePromotionAnalysis] : []),
        ...(strategy.canary?.steps ?? [])
          .filter((s: Obj) => s.analysis)
          .map((s: Obj) => s.analysis),
      ];
      expect(uses.length, file).toBeGreaterThan(0);
      for (const use of uses) {
        const given = new Set(use.args.map((a: Obj) => a.name));
        for (const { templateName } of use.templates) {
          const template = templates.get(templateName);
          expect(template, `${file}: ${templateName}`).toBeDefined();
          for (const arg of template?.spec.args ?? []) {
            if (arg.value === undefined && !arg.valueFrom)
              expect(given, `${file}: ${templateName}`).toContain(arg.name);
          }
        }
      }
    }
  });

  it("run vakt's own image, as the chart ships it", () => {
    const chart = parse(readFileSync(join(ROOT, 'charts/vakt/Chart.yaml'), 'utf8')) as Obj;
    const values = parse(readFileSync(join(ROOT, 'charts/vakt/values.yaml'), 'utf8')) as Obj;
    const image = `${values.image.repository}:${chart.appVersion}`;
    const containers = vaktContainers();
    expect(containers.map((c) => c.container.name).sort()).toEqual(['gate', 'probe', 'serve']);
    for (const { container } of containers) expect(container.image).toBe(image);
  });

  it('take every credential from a Secret, never a literal', () => {
    for (const { file, container } of vaktContainers()) {
      for (const env of container.env ?? []) {
        expect(env.value, `${file}: ${env.name}`).toBeUndefined();
        expect(env.valueFrom?.secretKeyRef, `${file}: ${env.name}`).toBeDefined();
      }
      for (const from of container.envFrom ?? []) expect(from.secretRef, file).toBeDefined();
    }
    // Flagger cannot read a Secret for a webhook: the token is substituted at deploy time.
    const source = readFileSync(join(DOCS, 'flagger/canary.yaml'), 'utf8');
    const tokens = source.match(/token: .*/g) ?? [];
    expect(tokens).toHaveLength(4);
    for (const line of tokens) expect(line).toMatch(/^token: "\$\{VAKT_SERVE_TOKEN\}"$/);
  });

  it('point each Flagger webhook at the vakt serve endpoint of its type, for this Canary', () => {
    const [canary] = ofKind('Canary');
    const serve = vaktContainers().find((c) => c.container.name === 'serve')?.container;
    const args: string[] = serve?.args ?? [];
    expect(args[args.indexOf('--canary') + 1]).toBe(
      `${canary?.object.metadata.namespace}/${canary?.object.metadata.name}`,
    );
    const webhooks: Obj[] = canary?.object.spec.analysis.webhooks;
    expect(webhooks.map((w) => w.type).sort()).toEqual(Object.keys(HOOKS).sort());
    for (const hook of webhooks) {
      expect(hook.url).toBe(`http://vakt-serve.shop/flagger/${hook.type}`);
      expect(hook.metadata.token).toBe(SUBSTITUTIONS.VAKT_SERVE_TOKEN);
    }
  });

  it('carry a policy vakt loads without a problem', () => {
    const [configMap] = ofKind('ConfigMap');
    const loaded = parsePolicy(configMap?.object.data['policy.yaml'], 'vakt-policy');
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });
});

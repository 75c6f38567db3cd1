import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The release workflow runs only on a pushed tag, so it cannot run here. These checks read
 * it as data and hold it to what a release promises: it publishes from a tag, every action
 * is pinned by commit, each job asks for its own permissions, and what it publishes carries
 * provenance.
 */

const ROOT = resolve(import.meta.dirname, '..');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  steps: Step[];
}
interface Workflow {
  on: { push?: { tags?: string[]; branches?: string[] } } & Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

const text = await readFile(join(ROOT, '.github/workflows/release.yml'), 'utf8');
const workflow = parse(text) as Workflow;
const jobs = Object.entries(workflow.jobs);
const steps = jobs.flatMap(([, job]) => job.steps);
const uses = (prefix: string) => steps.filter((s) => s.uses?.startsWith(`${prefix}@`));

/** The job whose steps include one matching the predicate. */
function jobWith(match: (step: Step) => boolean): [string, Job] {
  const found = jobs.find(([, job]) => job.steps.some(match));
  if (!found) throw new Error('no job has the step');
  return found;
}

describe('the release workflow', () => {
  it('runs on pushed v* tags and nothing else', () => {
    expect(Object.keys(workflow.on)).toEqual(['push']);
    expect(workflow.on.push?.tags).toEqual(['v*']);
    expect(workflow.on.push?.branches).toBeUndefined();
  });

  it('pins every action by full commit SHA, with the release it came from', () => {
    const lines = text.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines)
      expect(line).toMatch(/uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    // One action, one pin: two SHAs for one action would be a half-done bump.
    const pins = new Map<string, Set<string>>();
    for (const step of steps.filter((s) => s.uses)) {
      const [action, sha] = (step.uses as string).split('@') as [string, string];
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
    for (const [action, shas] of pins)
      expect({ action, pins: shas.size }).toEqual({ action, pins: 1 });
  });

  it('grants nothing by default and declares least permissions in every job', () => {
    expect(workflow.permissions).toEqual({});
    for (const [name, job] of jobs) {
      expect(typeof job.permissions, name).toBe('object');
      const permissions = job.permissions as Record<string, string>;
      for (const [scope, level] of Object.entries(permissions))
        expect({ name, scope, level }).toMatchObject({
          level: expect.stringMatching(/^(read|write)$/),
        });
      // Writing the repository is for moving a tag only.
      if (permissions.contents === 'write')
        expect(job.steps.some((s) => s.run?.includes('git push'))).toBe(true);
      if (permissions['id-token'] === 'write')
        expect(
          job.steps.some(
            (s) =>
              s.uses?.startsWith('actions/attest-build-provenance@') ||
              s.run?.includes('--provenance'),
          ),
          name,
        ).toBe(true);
    }
  });

  it('builds the image from the Dockerfile and pushes it to GHCR with an SBOM and provenance', () => {
    const [build] = uses('docker/build-push-action');
    expect(build?.with).toMatchObject({ context: '.', file: 'Dockerfile', push: true, sbom: true });
    expect(String(build?.with?.provenance)).toMatch(/^(true|mode=max)$/);
    expect(String(build?.with?.tags)).toMatch(/^\$\{\{ steps\.\w+\.outputs\.image \}\}:/);
    const [login] = uses('docker/login-action');
    expect(login?.with?.registry).toBe('ghcr.io');
    const [, job] = jobWith((s) => s === build);
    expect(job.permissions).toMatchObject({ packages: 'write' });
  });

  it('attests the pushed image by its digest, in the job that built it', () => {
    const [name, job] = jobWith((s) => s.uses?.startsWith('docker/build-push-action@') === true);
    const build = job.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    const attest = job.steps.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'));
    expect(attest, name).toBeDefined();
    expect(attest?.with?.['subject-digest']).toBe(`\${{ steps.${build?.id}.outputs.digest }}`);
    expect(attest?.with?.['push-to-registry']).toBe(true);
    expect(job.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write' });
  });

  it('publishes the Helm chart to an OCI registry', () => {
    const [, job] = jobWith((s) => s.run?.includes('helm push') === true);
    const script = job.steps.map((s) => s.run ?? '').join('\n');
    expect(script).toMatch(/helm package charts\/vakt/);
    expect(script).toMatch(/helm push \S+ "oci:\/\/ghcr\.io\//);
    expect(script).toMatch(/--password-stdin/);
    expect(job.permissions).toMatchObject({ packages: 'write' });
  });

  it('publishes the npm package with provenance', () => {
    const [, job] = jobWith((s) => /\bnpm publish\b/.test(s.run ?? ''));
    const publish = job.steps.find((s) => /\bnpm publish\b/.test(s.run ?? ''));
    expect(publish?.run).toMatch(/npm publish --provenance\b/);
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    // The token comes from a secret, never from the workflow text.
    expect(String(publish?.env?.NODE_AUTH_TOKEN)).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
  });

  it('moves the major tag only for a full release, after everything is published', () => {
    const [name, job] = jobWith((s) => s.run?.includes('git push --force') === true);
    expect(job.if).toMatch(/prerelease == 'false'/);
    const needs = new Set([job.needs ?? []].flat());
    for (const [other] of jobs) if (other !== name) expect(needs).toContain(other);
  });

  it('tests the tagged commit and matches the tag to the package and chart versions first', () => {
    const { check } = workflow.jobs;
    const script = check?.steps.map((s) => s.run ?? '').join('\n') ?? '';
    expect(script).toMatch(/npm test/);
    expect(script).toMatch(/package\.json/);
    expect(script).toMatch(/Chart\.yaml/);
    for (const [name, job] of jobs)
      if (name !== 'check') expect([job.needs ?? []].flat(), name).toContain('check');
  });
});

describe('the chart metadata', async () => {
  const chart = parse(await readFile(join(ROOT, 'charts/vakt/Chart.yaml'), 'utf8')) as Record<
    string,
    unknown
  > & { annotations: Record<string, string>; maintainers: { name: string }[] };
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  it('has what Artifact Hub shows: home, icon, sources, maintainers', () => {
    expect(chart.home).toMatch(/^https:\/\//);
    expect(chart.icon).toMatch(/^https:\/\/.+\.(svg|png)$/);
    expect((chart.sources as string[]).length).toBeGreaterThan(0);
    expect(chart.maintainers.length).toBeGreaterThan(0);
    for (const m of chart.maintainers) expect(m.name).toBeTruthy();
  });

  it('points the icon at a file in the repository', async () => {
    const path = String(chart.icon).replace(
      /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/main\//,
      '',
    );
    expect(await readFile(join(ROOT, path), 'utf8')).toMatch(/<svg/);
  });

  it('lists its changes, CRDs, images and licence for Artifact Hub as YAML', () => {
    const changes = parse(chart.annotations['artifacthub.io/changes'] ?? '') as {
      kind: string;
      description: string;
    }[];
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) {
      expect(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']).toContain(
        change.kind,
      );
      expect(change.description).toBeTruthy();
    }
    const crds = parse(chart.annotations['artifacthub.io/crds'] ?? '') as { kind: string }[];
    expect(crds.map((c) => c.kind)).toEqual(['ReleaseGuard']);
    const images = parse(chart.annotations['artifacthub.io/images'] ?? '') as { image: string }[];
    expect(images.map((i) => i.image)).toEqual([`ghcr.io/vakt-dev/vakt:${chart.appVersion}`]);
    expect(chart.annotations['artifacthub.io/license']).toBe('Apache-2.0');
  });

  it('has one version with the npm package, as the release workflow requires', () => {
    expect(chart.version).toBe(pkg.version);
    expect(chart.appVersion).toBe(pkg.version);
  });
});

describe('rendering the chart without a cluster', async () => {
  const guide = await readFile(join(ROOT, 'docs/operator.md'), 'utf8');
  const block = guide.match(/```sh\n(helm template [^`]+)```/)?.[1] ?? '';
  const args = block
    .replace(/\\\n/g, ' ')
    .replace(/>\s*\S+\s*$/, '')
    .trim()
    .split(/\s+/)
    .slice(1);

  it("the operator guide's helm template command names the chart's minimum Kubernetes", async () => {
    const chart = parse(await readFile(join(ROOT, 'charts/vakt/Chart.yaml'), 'utf8')) as {
      kubeVersion: string;
    };
    expect(chart.kubeVersion).toBe('>=1.30.0-0');
    expect(args).toEqual(expect.arrayContaining(['--kube-version', '1.30']));
  });

  it('renders with the Helm in node_modules', async () => {
    const { stdout } = await promisify(execFile)(resolve(ROOT, 'node_modules/.bin/helm'), args, {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const kinds = parseAllDocuments(stdout).map(
      (doc) => (doc.toJS() as { kind?: string } | null)?.kind,
    );
    expect(kinds).toContain('Deployment');
    expect(kinds).toContain('ValidatingAdmissionPolicy');
  });
});

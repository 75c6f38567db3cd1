import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const DIR = join(ROOT, 'docs/workflows');

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

describe('the example workflows', async () => {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
  };
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yml'));

  it('cover the three uses the Action is for', () => {
    expect(files.sort()).toEqual([
      'gate-before-deploy.yml',
      'probe-canary.yml',
      'status-on-review.yml',
    ]);
  });

  for (const file of files) {
    it(`${file} uses only inputs and outputs the Action declares`, async () => {
      const text = await readFile(join(DIR, file), 'utf8');
      const workflow = parse(text) as Workflow;
      const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
      const vakt = steps.filter((s) => s.uses?.includes('/vakt@'));
      expect(vakt.length).toBeGreaterThan(0);
      for (const step of vakt) {
        for (const input of Object.keys(step.with ?? {})) {
          expect(Object.keys(action.inputs)).toContain(input);
        }
        expect(['gate', 'probe']).toContain(step.with?.command);
      }
      for (const [, output] of text.matchAll(/steps\.\w+\.outputs\.([\w-]+)/g)) {
        expect(Object.keys(action.outputs)).toContain(output);
      }
    });
  }

  it("status-on-review.yml says it runs on the pull request's own code and points to the App", async () => {
    for (const file of ['status-on-review.yml', 'README.md']) {
      const text = (await readFile(join(DIR, file), 'utf8')).replace(/\s*#?\s*\n\s*#?\s*/g, ' ');
      expect(text, file).toMatch(/runs on the pull request's own code/);
      expect(text, file).toMatch(/github-app\.md/);
    }
  });
});

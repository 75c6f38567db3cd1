import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordDemoGitHub } from '../scripts/record-demo-github.ts';

/**
 * The demo's recordings of GitHub's answers are made by scripts/record-demo-github.ts,
 * which runs the real fetcher against a loopback fake GitHub. When the gate's queries
 * change, the committed recordings must be made again, or the demo replays answers to
 * questions the gate no longer asks.
 */

const ROOT = resolve(import.meta.dirname, '..');

describe('the demo gate recordings', () => {
  it('are what the recorder makes today', async () => {
    const recorded = await recordDemoGitHub();
    expect(recorded.map(({ file }) => relative(ROOT, file))).toEqual([
      'src/demo/fixtures/v2-one-approval.json',
      'src/demo/fixtures/v2-two-approvals.json',
    ]);
    for (const { file, text } of recorded) {
      const committed = readFileSync(file, 'utf8');
      expect(
        committed === text,
        `${relative(ROOT, file)} is stale: run \`npm run record-demo\` and commit it`,
      ).toBe(true);
    }
  });
});

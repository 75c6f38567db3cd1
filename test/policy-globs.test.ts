import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { formatProblem, parsePolicy } from '../src/policy/load.ts';
import { captureIo } from './support/io.ts';

/** `vakt policy check` refuses every path pattern the gate could not match as written. */

const policy = (...match: string[]) =>
  [
    'apiVersion: vakt.dev/v1alpha1', // 1
    'kind: Policy', // 2
    'approval:', // 3
    '  paths:', // 4
    '    - requireFrom: [{ teams: [acme/sre] }]', // 5
    '      match:', // 6
    ...match.map((m) => `        - ${JSON.stringify(m)}`), // 7...
    '',
  ].join('\n');

const problems = (text: string) => {
  const result = parsePolicy(text, 'policy.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('path patterns in a policy', () => {
  it('accepts braces, classes and extglobs', () => {
    const text = policy('charts/**/*.{yaml,yml}', 'cdn/[ab]*.vcl', 'config/!(README).md');
    expect(problems(text)).toEqual([]);
  });

  it('names each pattern it cannot match, at its line and column', () => {
    const text = policy('charts/**', '!docs/**', 'cdn/*.{vcl', '', 'cdn/[ab*.vcl', '*.{yaml}');
    expect(problems(text)).toEqual([
      expect.stringMatching(
        /^policy\.yaml:8:11 approval\.paths\[0\]\.match\[1\]: .*negation .*not supported/,
      ),
      expect.stringMatching(
        /^policy\.yaml:9:11 approval\.paths\[0\]\.match\[2\]: .*unbalanced "\{"/,
      ),
      expect.stringMatching(/^policy\.yaml:10:11 approval\.paths\[0\]\.match\[3\]: .*empty/),
      expect.stringMatching(
        /^policy\.yaml:11:11 approval\.paths\[0\]\.match\[4\]: .*unbalanced "\["/,
      ),
      expect.stringMatching(
        /^policy\.yaml:12:11 approval\.paths\[0\]\.match\[5\]: .*one alternative/,
      ),
    ]);
  });

  it('makes `vakt policy check` exit 2 with the problem on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vakt-globs-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, policy('!charts/**'));
    const capture = captureIo({});
    const code = await main(['policy', 'check', file], capture.io);
    expect(code).toBe(2);
    expect(capture.stdout).toBe('');
    expect(capture.stderr).toMatch(
      new RegExp(`^${file.replace(/[.]/g, '\\.')}:7:11 approval\\.paths\\[0\\]\\.match\\[0\\]: `),
    );
  });
});

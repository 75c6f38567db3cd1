import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No Docker daemon runs in the test environment, so the image cannot be built here (the
 * kind workflow builds it). These checks read the Dockerfile as text and hold it to the
 * properties the chart relies on: Node 24, a numeric non-root user, production
 * dependencies only, and the operator as the default command.
 */

const ROOT = resolve(import.meta.dirname, '..');
const text = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
/** Instructions with continuation lines joined and comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = instructions.filter((line) => /^FROM\s/i.test(line));
const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1) as string));

describe('Dockerfile', () => {
  it('builds on Node 24 in every stage, the base pinned by digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages)
      expect(stage).toMatch(
        /^FROM\s+node:24(\.\d+\.\d+)?(-bookworm|-trixie)?-slim@sha256:[0-9a-f]{64}(\s|$)/,
      );
    // One base for both stages: the dependencies are installed by the Node that runs them.
    expect(new Set(stages.map((stage) => stage.split(/\s+/)[1])).size).toBe(1);
  });

  it('leaves npm, npx, corepack and yarn out of the runtime stage', () => {
    const runs = finalStage.filter((line) => /^RUN\s/i.test(line));
    expect(runs.some((line) => /\bnpm\s/.test(line.replace(/\/usr\/local\/bin\/npm\b/g, '')))).toBe(
      false,
    );
    const removal = runs.find((line) => /^RUN\s+rm\s+-rf\s/.test(line)) ?? '';
    for (const path of [
      '/usr/local/lib/node_modules',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
    ])
      expect(removal.split(/\s+/)).toContain(path);
    // Removed before the user switch, as root, and before anything runs as the operator.
    const at = (pattern: RegExp) => finalStage.findIndex((line) => pattern.test(line));
    expect(at(/^RUN\s+rm\s/)).toBeLessThan(at(/^USER\s/));
  });

  it('runs the final image as a numeric non-root user, matching the chart', () => {
    const users = finalStage.filter((line) => /^USER\s/i.test(line));
    expect(users).toEqual(['USER 10001:10001']);
    const values = readFileSync(resolve(ROOT, 'charts/vakt/values.yaml'), 'utf8');
    expect(values).toMatch(/runAsUser: 10001/);
  });

  it('installs production dependencies only, from the lockfile', () => {
    const installs = instructions.filter((line) => /\bnpm\s+(ci|install|i)\b/.test(line));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) {
      expect(line).toMatch(/\bnpm ci\b/);
      expect(line).toMatch(/--omit=dev/);
    }
  });

  it('copies only what the operator runs, not tests, scripts or dev files', () => {
    const copies = finalStage.filter((line) => /^COPY\s/i.test(line));
    const sources = copies.flatMap((line) =>
      line
        .replace(/^COPY\s+(--from=\S+\s+)?/i, '')
        .split(/\s+/)
        .slice(0, -1),
    );
    for (const source of sources) {
      expect(source).toMatch(/^(\/app\/node_modules|package(-lock)?\.json|bin|src|policies)$/);
    }
  });

  it('starts the operator through the CLI', () => {
    expect(finalStage).toContain('ENTRYPOINT ["node", "bin/vakt.js"]');
    expect(finalStage).toContain('CMD ["operator"]');
  });

  it('sends the builder only what it copies', () => {
    const ignore = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    expect(ignore).not.toMatch(/^!test/m);
    expect(ignore).not.toMatch(/^!node_modules/m);
  });
});

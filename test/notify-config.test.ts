import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/command.ts';
import { operatorSettings, runOperator } from '../src/cli/operator-run.ts';
import {
  loadNotificationConfig,
  NOTIFY_EVENTS,
  NotificationConfigError,
  parseNotificationConfig,
} from '../src/notify/config.ts';
import { captureIo } from './support/io.ts';

/** The operator's --notifications file: what it accepts, and one clear line for what it does not. */

let dir: string;
const SECRET_URL = 'https://hooks.slack.com/services/T000/B000/s3cr3t-webhook-token';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vakt-notify-config-'));
  await writeFile(join(dir, 'slack-url'), `${SECRET_URL}\n`);
  // A key holding something else than a URL, e.g. a token pasted into the wrong key.
  await writeFile(join(dir, 'wrong-key'), 'xoxb-not-a-url-but-a-secret');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const problem = (text: string) => {
  try {
    parseNotificationConfig(text, 'notifications.yaml');
  } catch (error) {
    if (error instanceof NotificationConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a problem');
};

describe('notifications file', () => {
  it('fills in the defaults: every event, 3 tries of 10 s, 100 waiting per sink', () => {
    const config = parseNotificationConfig(
      'sinks:\n  - { name: oncall, type: slack, urlFile: /etc/vakt/notifications/urls/oncall }\n',
      'notifications.yaml',
    );
    expect(config).toEqual({
      sinks: [
        {
          name: 'oncall',
          type: 'slack',
          urlFile: '/etc/vakt/notifications/urls/oncall',
          events: [...NOTIFY_EVENTS],
        },
      ],
      attempts: 3,
      timeoutSeconds: 10,
      queueSize: 100,
    });
  });

  it('names the file, line, column and field of a mistake', () => {
    expect(problem('sinks:\n  - name: oncall\n    type: pager\n    urlFile: /x\n')).toBe(
      'notifications.yaml:3:11 sinks[0].type: expected one of "slack", "teams", "webhook", got string "pager"',
    );
    expect(
      problem(
        'sinks:\n  - name: a\n    type: slack\n    urlFile: /x\n    events: [Reverted, Rollback]\n',
      ),
    ).toMatch(
      /^notifications\.yaml:5:24 sinks\[0\]\.events\[1\]: expected one of "Reverted", .*got string "Rollback"$/,
    );
    expect(problem('sink: []\n')).toBe(
      'notifications.yaml:1:1 sink: unknown key "sink" (did you mean "sinks"?)',
    );
    expect(
      problem(
        'sinks:\n  - { name: a, type: slack, urlFile: /x }\n  - { name: a, type: teams, urlFile: /y }\n',
      ),
    ).toBe('notifications.yaml:2:3 sinks: sink names must differ');
    expect(problem('sinks: [\n')).toMatch(/^notifications\.yaml:\d+:\d+ invalid YAML/);
  });

  it('checks at start that each URL file holds a URL, and never shows what it holds', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(
      file,
      `sinks:\n  - { name: oncall, type: slack, urlFile: ${join(dir, 'slack-url')} }\n`,
    );
    expect((await loadNotificationConfig(file)).sinks).toHaveLength(1);

    const wrong = join(dir, 'wrong.yaml');
    await writeFile(
      wrong,
      `sinks:\n  - { name: oncall, type: slack, urlFile: ${join(dir, 'wrong-key')} }\n`,
    );
    const error = await loadNotificationConfig(wrong).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NotificationConfigError);
    expect((error as Error).message).toBe(
      `sink oncall: ${join(dir, 'wrong-key')} does not hold an http(s) URL`,
    );
    expect((error as Error).message).not.toContain('xoxb');

    const missing = join(dir, 'missing.yaml');
    await writeFile(
      missing,
      `sinks:\n  - { name: oncall, type: slack, urlFile: ${join(dir, 'nope')} }\n`,
    );
    await expect(loadNotificationConfig(missing)).rejects.toThrow(
      `sink oncall: cannot read its URL file ${join(dir, 'nope')} (ENOENT)`,
    );
  });

  it('vakt operator --notifications: a bad file is one line on stderr and exit 2, before anything starts', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'sinks:\n  - { name: oncall, type: slack }\n');
    const out = captureIo({ POD_NAMESPACE: 'vakt-system' });
    const settings = operatorSettings(
      ['--notifications', bad, '--no-leader-elect', '--kubeconfig', join(dir, 'no-kubeconfig')],
      out.io,
    );
    expect(settings.notifications).toBe(bad);
    const code = await runOperator(settings, out.io, new Promise<string>(() => {}));
    expect(code).toBe(EXIT.badInput);
    expect(out.stderr).toBe(
      `vakt operator: ${bad}:2:5 sinks[0].urlFile: missing required field "urlFile"\n`,
    );
    expect(() => operatorSettings(['--notifications', ''], out.io)).toThrow(
      '--notifications expects a file',
    );
  });
});

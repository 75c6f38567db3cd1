import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FILES } from '../src/cli/demo.ts';
import { main } from '../src/cli/main.ts';
import { demoSecrets } from '../src/demo/probe-setup.ts';
import { layoutTimeline } from '../src/demo/timeline-drawing.ts';
import { trafficMarkers, trafficSeries } from '../src/demo/traffic-series.ts';
import type { DemoResult } from '../src/demo/types.ts';
import { REAL_CUSTOMERS, TEST_USERS } from '../src/shop/index.ts';
import { crossedByLeaders, expectReadable } from './support/drawing-checks.ts';
import { captureIo } from './support/io.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vakt-demo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every credential of the shop: none may appear anywhere the demo writes. */
const SECRETS = demoSecrets();
/**
 * Credentials the shop issues at run time (tokens and session cookies from logins) start
 * with its issuer prefixes; API keys too. The run's own values are not known here, their
 * shape is.
 */
const ISSUED = /shop_(?:tok|sid|key)_[0-9a-f]{6}|\bsid=/;

/** `jsonOnStdout` asks for `--json -`: the timeline alone on stdout, the story on stderr. */
async function demo(flaw: string, jsonOnStdout = false) {
  const out = join(dir, flaw);
  const json = jsonOnStdout ? '-' : join(out, 'timeline.json');
  const capture = captureIo({}, dir);
  const code = await main(['demo', '--flaw', flaw, '--out', out, '--json', json], capture.io);
  const result = JSON.parse(
    jsonOnStdout ? capture.stdout : await readFile(json, 'utf8'),
  ) as DemoResult;
  const markdown = await readFile(join(out, REPORT_FILES.markdown), 'utf8');
  const html = await readFile(join(out, REPORT_FILES.html), 'utf8');
  const everything = [capture.stdout, capture.stderr, markdown, html, JSON.stringify(result)];
  expect(SECRETS.length).toBeGreaterThanOrEqual(TEST_USERS.length + REAL_CUSTOMERS.length);
  for (const secret of SECRETS) {
    for (const text of everything) expect(text.includes(secret), 'a credential leaked').toBe(false);
  }
  for (const text of everything) expect(text, 'an issued credential leaked').not.toMatch(ISSUED);
  return { code, result, markdown, html, stdout: capture.stdout, stderr: capture.stderr };
}

function expectGate(result: DemoResult) {
  expect(result.gate.oneApproval.outcome).toBe('denied');
  expect(result.gate.oneApproval.missing.join(' ')).toMatch(/@acme\/release-managers/);
  expect(result.gate.twoApprovals.outcome).toBe('approved');
  expect(result.gate.twoApprovals.counted.map((c) => c.login).sort()).toEqual([
    'rm-rasmus',
    'rm-sofia',
  ]);
}

function expectOwnDataOnly(result: DemoResult) {
  expect(result.traffic.sent).toBeGreaterThan(0);
  // Several customers, each on their own account, all of them served.
  expect(Object.keys(result.traffic.byCustomer).sort()).toEqual(
    REAL_CUSTOMERS.map((c) => c.name).sort(),
  );
  expect(REAL_CUSTOMERS.length).toBeGreaterThanOrEqual(5);
  for (const count of Object.values(result.traffic.byCustomer)) expect(count).toBeGreaterThan(0);
  expect(result.traffic.wrongData).toBe(0);
  expect(result.traffic.failed).toBe(0);
}

/**
 * The traffic chart, from this run's record: the router's times add up to its counts and to
 * the customers' own record of who answered them, and the reports show them.
 */
function expectTrafficDrawn(result: DemoResult, html: string, markdown: string) {
  for (const [release, count] of Object.entries(result.realByRelease)) {
    expect(result.realRoutedAtMs[release], release).toHaveLength(count);
    expect(result.traffic.byRelease[release] ?? 0, release).toBe(count);
  }
  const series = trafficSeries(result, 24);
  for (const s of series.series) {
    const summed = series.buckets.reduce((n, b) => n + (b.counts[s.release] ?? 0), 0);
    expect(summed, s.release).toBe(result.realByRelease[s.release]);
  }
  const revert = result.canaries[0]?.revert;
  const markers = trafficMarkers(result);
  expect(markers.find((m) => m.kind === 'leak')?.atMs).toBe(
    result.events.find((e) => e.kind === 'leak')?.atMs,
  );
  expect(markers.find((m) => m.kind === 'withdraw')?.atMs).toBe(revert?.withdrawnAtMs);
  expect(html).toContain('<h2>Real-user traffic by release</h2>');
  for (const release of ['v1', 'v2', 'v3']) expect(html).toContain(`data-release="${release}"`);
  for (const kind of ['leak', 'withdraw', 'promote'])
    expect(html).toContain(`data-marker="${kind}"`);
  expect(markdown).toContain('## Real-user traffic by release');
  expect(markdown).toMatch(/\| seconds \| v1 req\/s \| v2 req\/s \| v3 req\/s \| marked \|/);
  // Fractions of a millisecond apart, so nearly always in one row; never assumed.
  expect(markdown).toMatch(/\| [^|\n]*leak caught in v2 at [\d.,]+ ms[^|\n]*\|$/m);
  expect(markdown).toMatch(/\| [^|\n]*v2 withdrawn [\d.,]+ ms later[^|\n]*\|$/m);
}

describe('vakt demo, end to end', () => {
  it.each([['cache-without-user'], ['pipeline-cancel']])(
    'catches %s in v2, reverts it before any real user, promotes v3',
    async (flaw) => {
      const { code, result, markdown, html, stdout } = await demo(flaw);
      expect(code, stdout).toBe(0);
      expect(result.ok).toBe(true);
      expect(result.flaw).toBe(flaw);
      expectGate(result);

      const [v2, v3] = result.canaries;
      expect(v2?.release).toBe('v2');
      expect(v2?.verdict.outcome).toBe('leak');
      expect(v2?.revert).toBeDefined();
      expect(v2?.revert?.probeRequests).toBeGreaterThan(0);
      // The revert as seen afterwards: probes go to stable, the candidate refuses connections.
      expect(v2?.revert?.confirmed.probeAfterwards).toEqual({ routedTo: 'v1', answeredBy: 'v1' });
      expect(v2?.revert?.confirmed.portRefused).toBe(true);
      // Zero exposure, by three witnesses: the router, the candidate counting the
      // credentials presented to it, and the customers' own record of who answered them.
      expect(v2?.exposure).toEqual({ router: 0, candidate: 0, customers: 0 });
      expect(v2?.leaking.toRealCustomers).toBe(0);
      expect(v2?.leaking.sent).toBeGreaterThan(0);
      expect(v2?.routed.probe).toBeGreaterThan(0);
      expect(result.realByRelease.v2).toBe(0);
      expect(result.traffic.byRelease.v2).toBeUndefined();
      expect(result.traffic.byRelease.v1).toBeGreaterThan(0);
      // Against Klarna: the fair window, and the reaction measured from the candidate.
      expect(v2?.revert?.measuredFrom).toBe('candidate');
      expect(v2?.revert?.windowMs).toBeGreaterThanOrEqual(v2?.revert?.reactionMs ?? Infinity);

      expect(v3?.verdict.outcome).toBe('pass');
      expect(v3?.verdict.leakRateBound).toBeLessThanOrEqual(v3?.verdict.maxLeakRate ?? 0);
      expect(result.promoted).toBe('v3');
      expect(result.realByRelease.v3).toBeGreaterThan(0);
      expect(result.bake?.leak).toBeUndefined();
      expectOwnDataOnly(result);
      expect(result.checks.every((c) => c.ok)).toBe(true);

      const kinds = result.events.map((e) => e.kind);
      for (const kind of [
        'gate',
        'canary',
        'leak-sent',
        'leak',
        'withdraw',
        'stop',
        'promote',
        'bake',
      ])
        expect(kinds).toContain(kind);
      expect(stdout).toMatch(/Klarna/);
      expect(stdout).toMatch(/reachable for [\d.,]+ ms, from the canary start/);
      expect(stdout).toMatch(/Real-user requests that reached v2: 0\./);
      expect(stdout).toMatch(/the story went as it must/);
      expect(markdown).toMatch(/^# ✅ vakt demo/);
      expect(markdown).toMatch(/10:49 to 11:20/);
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toMatch(/<svg /);
      // Self-contained: nothing fetched from elsewhere.
      expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!127\.0\.0\.1)/);
      expectTrafficDrawn(result, html, markdown);
      // The timeline drawn from this run's own times overlaps nothing.
      const timeline = layoutTimeline(result.events, result.durationMs);
      expectReadable(timeline, result.events);
      for (const panel of timeline.panels) expect(crossedByLeaders(panel)).toEqual([]);
    },
  );

  it('promotes a clean v2 itself, its timeline on stdout with --json -', async () => {
    const { code, result, stderr, html, markdown } = await demo('none', true);
    expect(code).toBe(0);
    expect(stderr).toMatch(/the story went as it must/);
    expect(await readdir(dir)).not.toContain('-');
    expect(result.flaw).toBeNull();
    expectGate(result);
    expect(result.canaries).toHaveLength(1);
    expect(result.canaries[0]?.verdict.outcome).toBe('pass');
    expect(result.canaries[0]?.revert).toBeUndefined();
    expect(result.promoted).toBe('v2');
    expect(result.realByRelease.v2).toBeGreaterThan(0);
    expectOwnDataOnly(result);
    // Nothing leaked, so nothing to mark but the promotion.
    expect(trafficMarkers(result).map((m) => m.kind)).toEqual(['promote']);
    expect(html).toContain('data-marker="promote"');
    expect(html).not.toContain('data-marker="leak"');
    expect(markdown).toContain('v2 promoted at');
  });

  it('lists the flaws and refuses an unknown one', async () => {
    const list = captureIo();
    expect(await main(['demo', '--list'], list.io)).toBe(0);
    expect(list.stdout).toMatch(/^cache-without-user /m);
    expect(list.stdout).toMatch(/^none /m);
    const bad = captureIo();
    expect(await main(['demo', '--flaw', 'nope'], bad.io)).toBe(2);
    expect(bad.stderr).toMatch(/--flaw expects one of/);
  });

  it.each([
    [['--list', '--flaw', 'nope'], /--flaw expects one of/],
    [['--list', '--out', 'x'], /--list takes no other options \(got --out\)/],
  ])('checks every flag before acting on --list: %s', async (args, message) => {
    const run = captureIo();
    expect(await main(['demo', ...args], run.io)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('refuses report paths it cannot write before the story starts', async () => {
    const scratch = await mkdtemp(join(dir, 'paths-'));
    const file = join(scratch, 'a-file');
    await writeFile(file, 'x');
    const folder = join(scratch, 'a-folder');
    await mkdir(folder);
    const cases: [string[], RegExp][] = [
      [
        ['--out', join(file, 'reports')],
        /^vakt demo: --out: cannot create \S+\/a-file\/reports: part of the path is a file\n$/,
      ],
      [['--out', file], /^vakt demo: --out: \S+\/a-file is a file, not a folder\n$/],
      [['--json', folder], /^vakt demo: --json: \S+\/a-folder is a folder\n$/],
      [
        ['--json', join(file, 'x.json')],
        /^vakt demo: --json: \S+\/a-file is a file, not a folder\n$/,
      ],
      // Where even root cannot create a file or a folder.
      [
        ['--json', '/proc/vakt-demo.json'],
        /^vakt demo: --json: cannot write \/proc\/vakt-demo\.json: .+\n$/,
      ],
      [
        ['--out', '/proc/sys/vakt-demo'],
        /^vakt demo: --out: cannot create \/proc\/sys\/vakt-demo: .+\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = captureIo({}, scratch);
      expect(await main(['demo', ...args], run.io), args.join(' ')).toBe(2);
      // One line, and the story never started: nothing on stdout.
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    // Checking leaves nothing behind.
    expect((await readdir(scratch)).sort()).toEqual(['a-file', 'a-folder']);
  });
});

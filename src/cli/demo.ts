import { resolve } from 'node:path';
import { demoSecrets } from '../demo/probe-setup.ts';
import { demoHtml } from '../demo/report-html.ts';
import { demoMarkdown } from '../demo/report-markdown.ts';
import { runStory } from '../demo/story.ts';
import { comparison, eventText, summaryText } from '../demo/timeline.ts';
import { fileProblem, folderProblem } from '../demo/writable.ts';
import { redactSecrets } from '../probe/redact.ts';
import { FLAW_NAMES, FLAWS, type FlawName, isFlawName } from '../shop/flaws.ts';
import { type Command, EXIT, parseFlags, STDOUT, UsageError, writeReport } from './command.ts';

const DEFAULT_FLAW: FlawName = 'cache-without-user';
export const REPORT_FILES = { markdown: 'vakt-demo-report.md', html: 'vakt-demo-report.html' };

const HELP = `vakt demo: the whole story on this machine, in seconds

Starts the sample shop's stable release behind a local router with simulated customers,
then: release v2 is blocked by the two-person gate until a second release manager
approves; v2 runs as a canary only probes reach, ships a flaw that leaks one customer's
data to another, and is caught and withdrawn before any real user reaches it; v3, the
fix, passes the probe and is promoted. No cluster, no token, nothing beyond loopback.

Usage:
  vakt demo [--flaw NAME] [--out DIR] [--json FILE]
  vakt demo --list

Options:
  --flaw NAME   the flaw v2 ships (default ${DEFAULT_FLAW}, as at Klarna in 2021);
                "none" ships a clean v2, which is promoted itself
  --list        name the flaws
  --out DIR     where to write ${REPORT_FILES.markdown} and ${REPORT_FILES.html}
                (default: the current folder)
  --json FILE   write the timeline and every result as JSON (- for stdout; the story
                then goes to stderr)
  -h, --help    this text

Exit codes: 0 the story went as it must (v2 blocked then approved, the leak caught and
reverted with no real-user request reaching it, v3 promoted), 1 otherwise, 2 bad input.

Example:
  vakt demo --flaw pipeline-cancel --json demo.json
`;

const FLAGS = {
  flaw: { type: 'string' },
  list: { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'string' },
} as const;

export const demoCommand: Command = {
  name: 'demo',
  help: HELP,
  async run(argv, io) {
    // Every flag is checked before anything is done, the story's report paths included:
    // a typo must not cost a run, nor pass unnoticed beside --list.
    const { values } = parseFlags(argv, FLAGS);
    const flaw = parseFlaw(values.flaw);
    if (values.list) {
      const others = (['flaw', 'out', 'json'] as const).filter((k) => values[k] !== undefined);
      if (others.length > 0)
        throw new UsageError(`--list takes no other options (got --${others.join(', --')})`);
      for (const name of FLAW_NAMES) io.stdout(`${name.padEnd(20)} ${FLAWS[name].summary}\n`);
      io.stdout(`${'none'.padEnd(20)} A clean v2: it passes the probe and is promoted.\n`);
      return EXIT.ok;
    }
    const dir = resolve(io.cwd, values.out ?? '.');
    const markdown = resolve(dir, REPORT_FILES.markdown);
    const html = resolve(dir, REPORT_FILES.html);
    const json =
      values.json === undefined || values.json === STDOUT
        ? values.json
        : resolve(io.cwd, values.json);
    mustWrite('--out', await folderProblem(dir));
    for (const file of [markdown, html]) mustWrite('--out', await fileProblem(file));
    if (json && json !== STDOUT) mustWrite('--json', await fileProblem(json));

    const colour = io.isTTY && !io.env.NO_COLOR;
    const secrets = demoSecrets();
    const safe = (text: string) => redactSecrets(text, secrets);
    // With the JSON on stdout, the story goes to stderr: `--json - | jq` must get JSON only.
    const out = (text: string) => (json === STDOUT ? io.stderr : io.stdout)(safe(text));
    let progressShown = false;

    out(`vakt demo: v2 ships ${flaw ? `the flaw ${flaw}` : 'no flaw'}\n\n`);
    const result = await runStory({
      flaw,
      onEvent: (event) => {
        if (progressShown) io.stderr('\r\x1b[K');
        progressShown = false;
        out(eventText(event, colour));
      },
      onProgress: io.isTTY
        ? (release, c, ms) => {
            progressShown = true;
            io.stderr(
              `\r         probing ${release}: ${(ms / 1000).toFixed(1)} s, ${c.sent} sent, ${c.checked} checked `,
            );
          }
        : undefined,
    });
    if (progressShown) io.stderr('\r\x1b[K');
    out(summaryText(result, colour));

    await writeReport(io, markdown, safe(demoMarkdown(result)));
    await writeReport(io, html, safe(demoHtml(result)));
    const written = [markdown, html];
    if (json) {
      const data = { ...result, comparison: comparison(result) };
      await writeReport(io, json, safe(`${JSON.stringify(data, null, 2)}\n`));
      if (json !== STDOUT) written.push(json);
    }
    out(`reports: ${written.join(', ')}\n`);
    return result.ok ? EXIT.ok : EXIT.fail;
  },
};

function mustWrite(flag: string, problem: string | undefined): void {
  if (problem) throw new UsageError(`${flag}: ${problem}`);
}

function parseFlaw(value: string | undefined): FlawName | null {
  if (value === undefined) return DEFAULT_FLAW;
  if (value === 'none') return null;
  if (!isFlawName(value)) {
    throw new UsageError(`--flaw expects one of ${FLAW_NAMES.join(', ')} or none; got "${value}"`);
  }
  return value;
}

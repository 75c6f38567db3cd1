import { describe, expect, it } from 'vitest';
import { FIXTURES, gateDecision } from '../src/demo/gate.ts';
import { demoHtml, esc } from '../src/demo/report-html.ts';
import { demoMarkdown, nestUnder } from '../src/demo/report-markdown.ts';
import {
  comparison,
  comparisonLines,
  eventText,
  formatMs,
  KLARNA_2021,
  summaryText,
} from '../src/demo/timeline.ts';
import { ownDataOnly } from '../src/demo/traffic.ts';
import type { CanaryOutcome, DemoResult } from '../src/demo/types.ts';
import { REAL_CUSTOMERS, TEST_USERS } from '../src/shop/index.ts';
import { demoResult, verdict } from './support/demo-result.ts';

const result = demoResult;

describe('the demo gate fixtures', () => {
  it('deny v2 with one approval and name the missing release manager', async () => {
    const v = await gateDecision(FIXTURES.oneApproval);
    expect(v.outcome).toBe('denied');
    expect(v.counted.map((c) => c.login)).toEqual(['rm-rasmus']);
    expect(v.missing).toContain('needs 1 more approval from @acme/release-managers');
  });

  it('approve v2 once a second release manager approves', async () => {
    const v = await gateDecision(FIXTURES.twoApprovals);
    expect(v.outcome).toBe('approved');
    expect(v.missing).toEqual([]);
  });
});

describe('the story checks', () => {
  it('pass when everything went as it must', async () => {
    const r = await result();
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('fail when a single real-user request reached the leaking release', async () => {
    const r = await result((d) => {
      if (d.canaries[0]) {
        d.canaries[0].routed.real = 1;
        d.canaries[0].exposure.router = 1;
      }
    });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => !c.ok)?.name).toBe('no real-user request reached v2');
  });

  it.each<[string, (v2: CanaryOutcome, r: DemoResult) => void]>([
    [
      'the candidate got a real customer’s credential',
      (v2) => {
        v2.exposure.candidate = 1;
      },
    ],
    [
      'the customers were answered by the candidate',
      (v2) => {
        v2.exposure.customers = 1;
      },
    ],
    [
      'the customers’ final record names the candidate',
      (_, r) => {
        r.traffic.byRelease.v2 = 1;
      },
    ],
    [
      'the candidate leaked to a real customer',
      (v2) => {
        v2.leaking.toRealCustomers = 1;
      },
    ],
  ])('fail when %s, though the router counted none', async (_, change) => {
    const r = await result((d) => {
      if (d.canaries[0]) change(d.canaries[0], d);
    });
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'no real-user request reached v2',
    ]);
  });

  it.each<[string, string, (v2: CanaryOutcome) => void]>([
    [
      'probe traffic still went to the candidate',
      'v2 withdrawn: probe traffic no longer reaches it',
      (v2) => {
        if (v2.revert) v2.revert.confirmed.probeAfterwards = { routedTo: 'v2', answeredBy: 'v2' };
      },
    ],
    [
      'the candidate had stopped, but the router still sent it probe traffic',
      'v2 withdrawn: probe traffic no longer reaches it',
      (v2) => {
        if (v2.revert)
          v2.revert.confirmed.probeAfterwards = { routedTo: 'v2', answeredBy: 'nobody' };
      },
    ],
    [
      'the router sent the candidate a request after the withdrawal',
      'v2 withdrawn: probe traffic no longer reaches it',
      (v2) => {
        if (v2.revert) v2.revert.confirmed.lastRoutedBeforeWithdrawalMs = -0.2;
      },
    ],
    [
      'the candidate still accepted connections',
      'v2 stopped: its address refuses connections',
      (v2) => {
        if (v2.revert) v2.revert.confirmed.portRefused = false;
      },
    ],
  ])('fail when %s', async (_, failing, change) => {
    const r = await result((d) => {
      if (d.canaries[0]) change(d.canaries[0]);
    });
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([failing]);
  });

  it('fail when the leak was not caught, or nothing was promoted', async () => {
    const missed = await result((d) => {
      if (d.canaries[0]) {
        d.canaries[0].verdict = verdict('pass');
        delete d.canaries[0].revert;
      }
    });
    expect(missed.ok).toBe(false);
    const stuck = await result((d) => {
      delete d.promoted;
    });
    expect(stuck.ok).toBe(false);
  });

  it('fail when the gate approved with one approval', async () => {
    const r = await result((d) => {
      d.gate.oneApproval = d.gate.twoApprovals;
    });
    expect(r.ok).toBe(false);
  });

  it('fail when a customer saw someone else’s data', async () => {
    const r = await result((d) => {
      d.traffic.wrongData = 1;
      d.traffic.ok = 99;
    });
    expect(r.ok).toBe(false);
  });

  it('expect a clean v2 to be promoted itself', async () => {
    const r = await result((d) => {
      d.flaw = null;
      d.canaries = [
        { ...(d.canaries[1] as CanaryOutcome), release: 'v2', routed: { real: 0, probe: 9 } },
      ];
      d.promoted = 'v2';
      d.realByRelease = { v1: 60, v2: 40, v3: 0 };
      d.traffic.byRelease = { v1: 60, v2: 40 };
    });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

describe('the timeline against Klarna', () => {
  it('compares the whole time the leaking release was reachable with 31 minutes', async () => {
    const r = await result();
    const c = comparison(r);
    expect(c.klarnaMs).toBe(31 * 60 * 1000);
    expect(c.windowMs).toBe(20);
    expect(c.reactionMs).toBe(3.5);
    // The fair factor: canary start to withdrawal, not the last step of the revert.
    expect(c.factor).toBe(Math.round(KLARNA_2021.ms / 20));
    expect(c.realExposed).toBe(0);
    const lines = comparisonLines(r).join('\n');
    expect(lines).toContain(
      'reachable for 20.0 ms, from the canary start to the router withdrawing it',
    );
    expect(lines).toContain('about 93,000 times shorter');
    expect(lines).toContain(
      "from v2 writing its first response with another account's data to the withdrawal: 3.50 ms",
    );
  });

  it('counts the exposure as the most any witness saw', async () => {
    const r = await result((d) => {
      if (d.canaries[0]) d.canaries[0].exposure = { router: 0, candidate: 2, customers: 1 };
    });
    expect(comparison(r).realExposed).toBe(2);
  });

  it('says when the reaction could only be measured from the probe', async () => {
    const r = await result((d) => {
      if (d.canaries[0]?.revert) d.canaries[0].revert.measuredFrom = 'probe';
    });
    expect(comparisonLines(r).join('\n')).toContain(
      'from the probe finding the leak to the withdrawal',
    );
  });

  it('has nothing to compare without a leak', () => {
    expect(comparison({ canaries: [] })).toEqual({ klarnaMs: KLARNA_2021.ms });
  });

  it('formats milliseconds', () => {
    expect(formatMs(3.456)).toBe('3.46 ms');
    expect(formatMs(42.04)).toBe('42.0 ms');
    expect(formatMs(1_860_000)).toBe('1,860,000 ms');
  });

  it('prints colour only when asked', async () => {
    const r = await result();
    expect(summaryText(r).includes('\u001b[')).toBe(false);
    expect(summaryText(r, true).includes('\u001b[32m')).toBe(true);
  });
});

describe('the reports', () => {
  it('escape everything in the HTML page and stay self-contained', async () => {
    const html = demoHtml(await result());
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<link|src=|url\(/);
    expect(esc(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('fetch nothing from anywhere: no scripts, links, images, fonts or frames', async () => {
    const html = demoHtml(await result());
    expect(html).not.toMatch(/<(?:script|link|img|iframe|object|embed|image|use|foreignObject)\b/i);
    expect(html).not.toMatch(/\s(?:src|href|xlink:href|srcset|action|formaction)\s*=/i);
    expect(html).not.toMatch(/url\(|@import|@font-face|https?:\/\//i);
    // The drawings are inline SVG, each with a text alternative.
    const svgs = html.match(/<svg [^>]*>/g) ?? [];
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) expect(svg).toMatch(/role="img" aria-label="[^"]+"/);
  });

  it('chart real-user traffic by release in the HTML page, its figures as a table too', async () => {
    const html = demoHtml(await result());
    const section = html.slice(html.indexOf('<h2>Real-user traffic by release</h2>'));
    expect(section).toContain('(v1 60, v2 0, v3 40)');
    for (const release of ['v1', 'v2', 'v3'])
      expect(section).toContain(`<polyline data-release="${release}"`);
    expect(section).toContain('>leak caught in v2 at 396 ms</text>');
    expect(section).toContain('>v2 withdrawn 0.03 ms later</text>');
    expect(section).toContain('>v3 promoted at 2,024 ms</text>');
    // The table: 200 ms buckets; v2 running (at zero) only in the one holding its canary
    // start and its withdrawal, v3 from its canary start on.
    expect(section).toContain(
      '<th>seconds</th><th>v1 req/s</th><th>v2 req/s</th><th>v3 req/s</th>',
    );
    const cell = (rate: number | null, count?: number) =>
      rate === null
        ? '<td class="n">–</td>'
        : `<td class="n">${rate} <span class="detail">(${count})</span></td>`;
    expect(section).toContain(
      `<tr><td class="ms">0.2–0.4 s</td>${cell(30, 6)}${cell(0, 0)}${cell(null)}<td>leak caught in v2 at 396 ms; v2 withdrawn 0.03 ms later</td></tr>`,
    );
    expect(section).toContain(
      `<tr><td class="ms">0.4–0.6 s</td>${cell(30, 6)}${cell(null)}${cell(0, 0)}<td></td></tr>`,
    );
  });

  it('give the traffic as a table in Markdown, the leak and the withdrawal marked', async () => {
    const md = demoMarkdown(await result());
    const section = md.slice(
      md.indexOf('## Real-user traffic by release'),
      md.indexOf('## Timeline'),
    );
    expect(section).toContain('In all: v1 60, v2 0, v3 40.');
    expect(section).toContain('| seconds | v1 req/s | v2 req/s | v3 req/s | marked |');
    expect(section).toContain(
      '| 0.02–0.5 | 31 (15) | 0 (0) | 0 (0) | leak caught in v2 at 396 ms; v2 withdrawn 0.03 ms later |',
    );
    // The promotion starts a row of its own: v1 before it, v3 after it.
    expect(section).toContain('| 1.5–2.02 | 29 (15) | – | 0 (0) |  |');
    expect(section).toContain('| 2.02–2.5 | – | – | 21 (10) | v3 promoted at 2,024 ms |');
    // The last row ends when the customers stopped sending, not at the end of the run.
    expect(section).toContain('| 3.5–4.01 | – | – | 20 (10) |  |');
  });

  it('keep table cells intact in Markdown', async () => {
    const md = demoMarkdown(await result());
    expect(md).toContain('leak \\<script\\>alert(1)\\</script\\> \\| x');
    expect(md).toContain('## Against Klarna, May 2021');
    expect(md).toMatch(
      /\| the leaking release serving, start to withdrawal \| 10:49 to 11:20: 1,860,000 ms \| 20\.0 ms /,
    );
    expect(md).toMatch(/\| first leaking response to withdrawal \| .* \| 3\.50 ms \|/);
  });

  it('keep the Markdown outline: embedded gate and probe reports sit below their sections', async () => {
    const md = demoMarkdown(await result());
    const headings = md
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => ({ level: l.indexOf(' '), text: l.slice(l.indexOf(' ') + 1) }));
    // Never more than one level deeper than the heading before.
    headings.forEach((h, i) => {
      expect(h.level, h.text).toBeLessThanOrEqual((headings[i - 1]?.level ?? 0) + 1);
    });
    const levelOf = (pattern: RegExp) => headings.find((h) => pattern.test(h.text))?.level;
    expect(levelOf(/^Gate decisions$/)).toBe(2);
    expect(levelOf(/vakt gate:/)).toBe(3);
    expect(levelOf(/^Missing$/)).toBe(4);
    expect(levelOf(/^Canary v2$/)).toBe(3);
    expect(levelOf(/vakt probe:/)).toBe(4);
    expect(headings.filter((h) => h.level === 1)).toHaveLength(1);
  });

  it('nest a report’s headings under a section, leaving code blocks alone', () => {
    const report = ['## Top', 'text', '### Sub', '```', '## not a heading', '```', '## Next'];
    expect(nestUnder(3, report.join('\n')).split('\n')).toEqual([
      '#### Top',
      'text',
      '##### Sub',
      '```',
      '## not a heading',
      '```',
      '#### Next',
    ]);
    expect(nestUnder(2, 'no headings')).toBe('no headings');
  });

  it('wrap long preformatted lines in the HTML page instead of running off it', async () => {
    const html = demoHtml(await result());
    const pre = /(?:^|[}\n])pre\{([^}]*)\}/.exec(html)?.[1] ?? '';
    expect(pre).toContain('white-space:pre-wrap');
    expect(pre).toContain('overflow-wrap:anywhere');
  });

  it('show the policy’s limit beside the bound a probe met', async () => {
    const r = await result();
    const fix = r.checks.find((c) => c.name === 'v3 (the fix) passes the probe');
    expect(fix?.detail).toMatch(/leak rate below 0\.0994% .*\(the policy's limit: 0\.1%\)$/);
  });
});

describe('the terminal lines', () => {
  it('line up every event title, whatever its kind', () => {
    const lines = (['gate', 'leak-sent', 'exposure'] as const).map((kind) =>
      eventText({ atMs: 12, kind, title: 'TITLE', detail: ['DETAIL'] }),
    );
    const columns = lines.map((l) => l.indexOf('TITLE'));
    expect(new Set(columns).size).toBe(1);
    expect(lines.map((l) => l.indexOf('DETAIL') - l.indexOf('\n') - 1)).toEqual(columns);
  });
});

describe('a simulated customer', () => {
  const [maja, erik] = REAL_CUSTOMERS;
  const everyone = [...TEST_USERS, ...REAL_CUSTOMERS];
  it('accepts only their own data', () => {
    if (!maja || !erik) throw new Error('no customers');
    expect(ownDataOnly(JSON.stringify({ email: maja.email }), maja, everyone)).toBe(true);
    expect(ownDataOnly(JSON.stringify({ email: erik.email }), maja, everyone)).toBe(false);
    expect(ownDataOnly(`${maja.email} ${erik.email}`, maja, everyone)).toBe(false);
  });
});

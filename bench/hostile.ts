// Hostile targets: how long a run takes against a body that drips or never ends, against
// its budget of duration + timeout (load.duration 2 s, load.timeout 1 s).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbe } from '../src/probe/run.ts';
import { aliceAndBob, config, ID, who } from '../test/support/probe-target.ts';
import type { Figure } from './support.ts';

const DURATION_MS = 2_000;
const TIMEOUT_MS = 1_000;

const BEHAVIOURS: Record<string, (res: ServerResponse) => void> = {
  'one byte every 700 ms': (res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write(' '), 700);
    res.on('close', () => clearInterval(timer));
  },
  'endless chunked body': (res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  'headers never sent': () => undefined,
};

export async function benchHostile(runs = 3): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [name, misbehave] of Object.entries(BEHAVIOURS)) {
    const server = createServer((req, res) => {
      if (req.url === '/hostile') return misbehave(res);
      res.end(JSON.stringify({ id: ID[who(req)] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let longest = 0;
    let outcome = '';
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const verdict = await runProbe(
        config(target, aliceAndBob(), ['/hostile'], 1_000_000, {
          durationMs: DURATION_MS,
          timeoutMs: TIMEOUT_MS,
          maxBodyBytes: 1024 * 1024,
        }),
      );
      longest = Math.max(longest, performance.now() - started);
      outcome = verdict.outcome;
    }
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    figures.push({
      name: `hostile target, ${name}: longest run`,
      value: longest,
      unit: 'ms',
      note: `of ${runs}; budget ${DURATION_MS + TIMEOUT_MS} ms (duration + timeout), ${(longest / (DURATION_MS + TIMEOUT_MS)).toFixed(2)}x; verdict ${outcome}`,
    });
  }
  return figures;
}

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { destination, text: () => lines.join('') };
}

describe('logger', () => {
  const secrets = {
    token: 'tok-SECRET-1',
    password: 'pw-SECRET-2',
    headers: {
      authorization: 'Bearer SECRET-3',
      cookie: 'sid=SECRET-4',
      'set-cookie': 'sid=SECRET-5',
    },
    login: { password: 'pw-SECRET-6', token: 'SECRET-7' },
  };

  it.each([false, true])(
    'redacts credentials on the root and in children (pretty: %s)',
    (pretty) => {
      const out = capture();
      const log = createLogger({ level: 'debug', pretty, destination: out.destination });
      log.info(secrets, 'root');
      log.child({ component: 'probe' }).warn(secrets, 'child');
      const text = out.text();
      expect(text).toMatch(/root/);
      expect(text).toMatch(/child/);
      expect(text).toMatch(/\[redacted\]/);
      expect(text).not.toMatch(/SECRET/);
    },
  );

  it('writes JSON lines when not pretty', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.destination }).info(
      { tenant: 'alice' },
      'login',
    );
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, tenant: 'alice', msg: 'login' });
  });
});

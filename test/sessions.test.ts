import { describe, expect, it } from 'vitest';
import { Sessions, sessionFromLogin } from '../src/probe/sessions.ts';

describe('sessionFromLogin', () => {
  const json = (body: unknown) => Buffer.from(JSON.stringify(body));
  it('takes a bearer token from the JSON pointer', () => {
    expect(
      sessionFromLogin(
        { status: 200, setCookies: [], body: json({ data: { token: 't-1' } }) },
        '/data/token',
      ),
    ).toEqual({
      headers: { authorization: 'Bearer t-1' },
      issued: ['t-1'],
    });
  });
  it('falls back to the cookies the login set', () => {
    expect(
      sessionFromLogin(
        { status: 200, setCookies: ['sid=abc; HttpOnly; Path=/', 'csrf=x1; Path=/'] },
        undefined,
      ),
    ).toEqual({
      headers: { cookie: 'sid=abc; csrf=x1' },
      issued: ['abc', 'x1'],
    });
  });
  it.each([
    [{ status: 401, setCookies: [] }, '/token', /HTTP 401/],
    [{ status: 200, setCookies: [], body: Buffer.from('<html>') }, '/token', /not JSON/],
    [{ status: 200, setCookies: [], body: json({ other: 1 }) }, '/token', /no token at \/token/],
    [{ status: 200, setCookies: [] }, undefined, /set no cookie/],
  ])('fails clearly: %j', (response, pointer, message) => {
    const session = sessionFromLogin(response, pointer);
    expect('failure' in session && session.failure).toMatch(message);
  });
});

describe('Sessions', () => {
  const tenants: { auth: { headers: Record<string, string>; login?: unknown } }[] = [
    { auth: { headers: {}, login: {} } },
    { auth: { headers: { authorization: 'Bearer static' } } },
  ];

  it('logs in once for concurrent first callers', async () => {
    let logins = 0;
    const sessions = new Sessions(tenants, 3, async () => ({ cookie: `sid=${++logins}` }));
    const first = await Promise.all([
      sessions.headersFor(0),
      sessions.headersFor(0),
      sessions.headersFor(0),
    ]);
    expect(logins).toBe(1);
    expect(first.every((h) => h?.cookie === 'sid=1')).toBe(true);
    expect(sessions.headersFor(1)).toEqual({ authorization: 'Bearer static' });
  });

  it('re-logs in every reloginEvery requests without making callers wait', async () => {
    let logins = 0;
    let release: () => void = () => {};
    const sessions = new Sessions(tenants, 3, async () => {
      logins++;
      if (logins > 1) await new Promise<void>((r) => (release = r));
      return { cookie: `sid=${logins}` };
    });
    await sessions.headersFor(0);
    const seen = [1, 2, 3, 4].map(() => sessions.headersFor(0));
    // The re-login is under way, yet every caller got the current session at once.
    expect(seen).toEqual(Array(4).fill({ cookie: 'sid=1' }));
    expect(logins).toBe(2);
    release();
    await new Promise((r) => setImmediate(r));
    expect(sessions.headersFor(0)).toEqual({ cookie: 'sid=2' });
  });

  it('keeps a working session when a re-login fails, and has none when the first fails', async () => {
    let logins = 0;
    const sessions = new Sessions(tenants, 2, async () =>
      ++logins === 1 ? { cookie: 'sid=1' } : undefined,
    );
    await sessions.headersFor(0);
    sessions.headersFor(0);
    sessions.headersFor(0);
    await new Promise((r) => setImmediate(r));
    expect(sessions.headersFor(0)).toEqual({ cookie: 'sid=1' });
    const failing = new Sessions(tenants, 2, async () => undefined);
    expect(await failing.headersFor(0)).toBeUndefined();
  });

  it('never logs in again when reloginEvery is 0', async () => {
    let logins = 0;
    const sessions = new Sessions(tenants, 0, async () => ({ cookie: `sid=${++logins}` }));
    await sessions.headersFor(0);
    for (let i = 0; i < 10; i++) sessions.headersFor(0);
    expect(logins).toBe(1);
  });
});

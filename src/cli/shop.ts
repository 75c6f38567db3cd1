import { FLAW_NAMES, FLAWS, type FlawName, sampleShopExports, startShop } from '../shop/index.ts';
import { type Command, EXIT, intFlag, parseFlags, UsageError } from './command.ts';

const HELP = `vakt shop: run the sample multi-tenant shop

A small service with test users (alice, bob, carol, dave) and release flaws that can be
switched on by name, one per cross-tenant leak mechanism seen in production. Use it to
try vakt probe, or to see what each flaw looks like. Users sign in with a bearer token,
POST /login (a token or a session cookie) or an X-Api-Key header; personal data is at
/api/me, /api/orders, /api/profile and POST /graphql ({ me { id email orders { id } } }).
Large responses are compressed for clients that accept gzip or br. On start it prints
the test users' credentials as the export lines policies/sample-shop.yaml reads.

Usage:
  vakt shop [--flaw NAME] [--port N] [--host ADDR]
  vakt shop --list

Options:
  --flaw NAME   switch on one release flaw (see --list); default: the clean release
  --port N      port to listen on (default 8080; 0 picks a free one)
  --host ADDR   address to listen on (default 127.0.0.1)
  --list        name the flaws and the incidents they stand for
  -h, --help    this text

Example:
  vakt shop --flaw cache-without-user --port 8080
`;

const FLAGS = {
  flaw: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  list: { type: 'boolean' },
} as const;

export const shopCommand: Command = {
  name: 'shop',
  help: HELP,
  async run(argv, io) {
    const { values } = parseFlags(argv, FLAGS);
    if (values.list) {
      for (const name of FLAW_NAMES)
        io.stdout(`${name.padEnd(20)} ${FLAWS[name].summary} (${FLAWS[name].incident})\n`);
      return EXIT.ok;
    }
    const flaw = values.flaw;
    if (flaw !== undefined && !FLAW_NAMES.includes(flaw as FlawName)) {
      throw new UsageError(`--flaw expects one of ${FLAW_NAMES.join(', ')}; got "${flaw}"`);
    }
    const port = intFlag('port', values.port, 0) ?? 8080;
    if (port > 65535) throw new UsageError(`--port expects 0 to 65535, got ${port}`);
    const shop = await startShop({
      flaw: flaw as FlawName | undefined,
      port,
      host: values.host ?? '127.0.0.1',
    });
    io.stdout(
      `sample shop (${flaw ?? 'clean release'}) listening on ${shop.url}; Ctrl-C stops it\n` +
        `\nIts test users, for policies/sample-shop.yaml (paste into the shell that probes):\n` +
        sampleShopExports() +
        `\nthen: vakt probe --policy policies/sample-shop.yaml --target ${shop.url}\n`,
    );
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await shop.close();
    return EXIT.ok;
  },
};

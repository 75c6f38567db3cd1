// The main job until the full demo exists: probe the sample shop twice, as a user would
// with `vakt probe`: the clean release passes, a release with a flaw is caught at once.
// Usage: node scripts/probe-shop.ts [FLAW]   (default flaw: cache-without-user)
import { main, processIo } from '../src/cli/main.ts';
import { FLAW_NAMES, type FlawName, startShop, TEST_USERS } from '../src/shop/index.ts';

const flaw = (process.argv[2] ?? 'cache-without-user') as FlawName;
if (!FLAW_NAMES.includes(flaw)) {
  process.stderr.write(`unknown flaw "${flaw}"; one of: ${FLAW_NAMES.join(', ')}\n`);
  process.exit(2);
}
const password = (name: string) => TEST_USERS.find((u) => u.name === name)?.password ?? '';
const env = {
  ...process.env,
  ALICE_TOKEN: TEST_USERS.find((u) => u.name === 'alice')?.token ?? '',
  BOB_PASSWORD: password('bob'),
  CAROL_PASSWORD: password('carol'),
};
const io = { ...processIo(), env };
const policy = 'policies/sample-shop.yaml';

function quote(arg: string): string {
  return /^[\w./:=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

async function probe(
  title: string,
  options: { flaw?: FlawName },
  extra: string[],
): Promise<number> {
  const shop = await startShop(options);
  process.stdout.write(
    `\n== ${title}: sample shop on ${shop.url}\n$ vakt probe --policy ${policy} --target ${shop.url} ${extra.map(quote).join(' ')}\n\n`,
  );
  try {
    return await main(['probe', '--policy', policy, '--target', shop.url, ...extra], io);
  } finally {
    await shop.close();
  }
}

const clean = await probe('release v1 (clean)', {}, []);
const leaking = await probe(`release v2 (flaw: ${flaw})`, { flaw }, [
  '--on-leak',
  'echo "revert: $VAKT_LEAK_SUMMARY (request $VAKT_LEAK_REQUEST, $VAKT_LEAK_ELAPSED_MS ms)"',
]);
process.stdout.write(`\nv1 exit ${clean} (0 = pass), v2 exit ${leaking} (1 = leak)\n`);
process.exitCode = clean === 0 && leaking === 1 ? 0 : 1;

/**
 * `live-ccv secrets generate-key | status | rotate-key`: the key that seals appSecrets at rest
 * (LIVE_CCV_SECRET_KEY) and the stored form of every app's credentials. Rotation is done in the open, on
 * the store directly, while servers keep running: docs/operations.md has the procedure.
 */
import type { Command } from 'commander';
import { KeyRing } from '../secrets/key-ring.js';
import { atRestStatus, rewriteAtRest } from '../secrets/secrets-at-rest.js';
import { openAdapter } from '../store/open.js';
import { emit, jsonFlag, oneLineErrors, out, record, type JsonFlag } from './output.js';
import { configFrom } from './setting-flags.js';
import { storeFlags } from './store-session.js';

type Opts = JsonFlag & { plaintext?: boolean } & Record<string, unknown>;

async function onRawStore<T>(opts: Opts, work: (raw: Awaited<ReturnType<typeof openAdapter>>, ring: KeyRing) => Promise<T>) {
  const config = configFrom(opts);
  const ring = KeyRing.parse(config.secretKey);
  const raw = await openAdapter(config);
  try {
    return await work(raw, ring);
  } finally {
    await raw.close();
  }
}

const secretCounts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${n} ${k === 'plaintext' ? 'in plaintext' : `sealed with key ${k}`}`)
    .join(', ') || 'none';
const tokenCounts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${n} ${k === 'plaintext' ? 'in plaintext (hashed at the next start or rotate-key)' : k}`)
    .join(', ') || 'none';

export function registerSecrets(program: Command): void {
  const secrets = oneLineErrors(
    program.command('secrets').description('appSecrets sealed at rest (LIVE_CCV_SECRET_KEY) and hashed ingest tokens'),
  );
  secrets
    .command('generate-key')
    .description('print a new random key for LIVE_CCV_SECRET_KEY (32 bytes, hex)')
    .action(() => out(KeyRing.generate()));

  jsonFlag(storeFlags(secrets.command('status').description('how the stored credentials are kept now'))).action(
    async (opts: Opts) => {
      const status = await onRawStore(opts, async (raw, ring) => ({
        ...(await atRestStatus(raw)),
        sealingKey: ring.sealingKeyId ?? null,
      }));
      emit(opts.json, status, () =>
        record({
          'app secrets': secretCounts(status.secrets),
          'ingest tokens': tokenCounts(status.tokens),
          'LIVE_CCV_SECRET_KEY seals with': status.sealingKey ?? '(empty: secrets are stored in plaintext)',
        }),
      );
    },
  );

  jsonFlag(
    storeFlags(
      secrets
        .command('rotate-key')
        .description(
          "re-seal every appSecret with LIVE_CCV_SECRET_KEY's first key (the others only open), and hash plaintext ingest tokens",
        )
        .option('--plaintext', 'store every appSecret in plaintext instead (the keys only open)'),
    ),
  ).action(async (opts: Opts) => {
    const report = await onRawStore(opts, async (raw, ring) => {
      if (ring.empty && !opts.plaintext) {
        throw new Error(
          'LIVE_CCV_SECRET_KEY is empty: set the key to seal with first (or pass --plaintext to open every secret)',
        );
      }
      return {
        ...(await rewriteAtRest(raw, ring, { plaintext: opts.plaintext })),
        sealingKey: opts.plaintext ? null : ring.sealingKeyId,
      };
    });
    emit(opts.json, report, () =>
      [
        `${report.apps} application(s): ${report.sealed} secret(s) sealed${report.sealingKey ? ` with key ${report.sealingKey}` : ''}, ` +
          `${report.opened} written in plaintext, ${report.hashedTokens} ingest token(s) hashed`,
        report.raced > 0 ? `${report.raced} changed meanwhile and were left as written (run again to check)` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  });
}

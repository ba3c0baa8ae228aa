/**
 * The real HTTP server for the throughput bench, run in its own process so the load generator does not
 * share its event loop: buildApp + listen on port 0, rate limits raised out of the way. Prints the port.
 */
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: api-server.ts <data dir holding store.sqlite>');
const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', demo: false, ipLimit: 1_000_000_000, appLimit: 1_000_000_000 });
const store = new SqliteStore(path.join(dir, 'store.sqlite'));
const app = await buildApp({ config, store, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});

/**
 * live-ccv as a library: build the HTTP application on a store of your choice, or run the whole service. The SDK is
 * `live-ccv/client` (also published alone as @live-ccv/client); the wire contract is `@live-ccv/client/contract`.
 */
export { loadConfig, ConfigError, type Config, type SettingName } from './config/config.js';
export { buildApp } from './http/app.js';
export type { AppDeps } from './http/deps.js';
export { startServer, runServer, type RunningServer } from './server.js';
export { openStore } from './store/open.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export { PostgresStore } from './store/postgres/postgres-store.js';
export type { Store, TenancyStore, CurveStore, MetaStore, App, User, Channel, ChannelMinute } from './store/port.js';
export { ApiError, errors } from './errors.js';
export { version } from './version.js';

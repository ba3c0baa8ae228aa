/**
 * Store latency without touching the adapters: a proxy that times every asynchronous method of the store
 * it wraps (kind `read` for get/list/read/owned/ping methods, `write` for the rest) and counts failures.
 * The methods run on the real store object, so adapters keep their private state and `this`.
 */
import { metrics } from './metrics.js';

const READ = /^(get|list|read|owned|ping|has|find|count|existing|userPeaks|cacheStats)/;
const UNTIMED = new Set(['close', 'constructor']);

export function storeOperationKind(operation: string): 'read' | 'write' {
  return READ.test(operation) ? 'read' : 'write';
}

export function instrumentStore<S extends object>(store: S): S {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      // a method's wrapper first: no walk down the wrapped store's own proxies on every call
      const made = wrapped.get(prop);
      if (made) return made;
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || UNTIMED.has(prop)) return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const timing = metrics.storeSeconds.child({ kind: storeOperationKind(prop), operation: prop });
        fn = (...args: unknown[]) => {
          const started = performance.now();
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            metrics.storeErrors.inc({ operation: prop });
            throw err;
          }
          if (!(result instanceof Promise)) {
            timing.observe((performance.now() - started) / 1000);
            return result;
          }
          return result.then(
            (v) => {
              timing.observe((performance.now() - started) / 1000);
              return v;
            },
            (err: unknown) => {
              timing.observe((performance.now() - started) / 1000);
              metrics.storeErrors.inc({ operation: prop });
              throw err;
            },
          );
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

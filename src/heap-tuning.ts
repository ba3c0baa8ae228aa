/**
 * V8 settings for the long-running service, applied by `runServer` before it opens anything.
 *
 * Allocation-site pretenuring is turned off. V8 watches each place in the code that makes objects; when most
 * objects made at one place survive a young collection, it makes the later ones straight in the old
 * generation. The service's write path shares its places between two kinds of batch:
 * - a bulk import holds a batch's groups, rows and new curve cells for seconds, so V8 marks those places
 *   "tenure";
 * - a CDN's push of a minute holds them for one request.
 *
 * After one bulk import (or the start-up fill of the curve cache), every push made its groups and cells in
 * the old generation. These dead old objects still pointed at young ones, so each young collection kept those
 * alive and copied them. In the push bench after a bulk import, the young collections took 3-5 ms each, about
 * every eighth push: 112-194 ms over 300 pushes, against 25-32 ms without pretenuring. Old objects dying young
 * also brought on full collections, whose marking runs on the main thread in steps during requests.
 *
 * Without pretenuring, V8 promotes what survives two young collections, as it does for any object. The bulk
 * import measured the same either way (docs/benchmarks.md). The setting is process-wide, so query threads get
 * it too.
 */
import v8 from 'node:v8';

const FLAG = '--no-allocation-site-pretenuring';

/** Applies the service's V8 settings to this process (idempotent). */
export function tuneHeapForServing(): void {
  v8.setFlagsFromString(FLAG);
}

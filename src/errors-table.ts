/** The error table of docs/api.md, generated from the catalogue so the two cannot disagree. */
import { catalogue, type CatalogueEntry } from '@live-ccv/client/contract';

/** A sample message of an entry: its template with placeholders for the arguments. */
function sample(e: CatalogueEntry<unknown[]>): string {
  const names = ['X', 'Y'];
  return e.message(...(e.message.length > 0 ? names.slice(0, e.message.length) : []));
}

export function errorTable(): string {
  const rows = Object.values(catalogue).map((e) => {
    const message = sample(e as unknown as CatalogueEntry<unknown[]>).replace(/\|/g, '\\|');
    return `| \`${e.code}\` | ${e.status} | \`${message}\` | ${e.when} |`;
  });
  return ['| code (`X-Error-Code`) | HTTP | message | when |', '|---|---|---|---|', ...rows].join('\n');
}

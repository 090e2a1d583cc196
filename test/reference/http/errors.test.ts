/**
 * Keeps the error table in step with the spec and the README: every entry uses a code of the
 * spec's closed set with a 4xx status, and README's error table lists exactly the same rows.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ERROR_CODES } from '../../../spec/error-codes.ts';
import { ERROR_TABLE } from '../../../reference/http/errors.ts';

t.test('every error uses a spec code and a 4xx status', async (t) => {
  for (const [kind, entry] of Object.entries(ERROR_TABLE)) {
    t.ok(Object.hasOwn(ERROR_CODES, entry.code), `${kind} uses spec code ${entry.code}`);
    t.ok(entry.status >= 400 && entry.status < 500, `${kind} status ${entry.status}`);
  }
});

t.test('README documents every error exactly as the table has it', async (t) => {
  const readme = await readFile(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
  const documented = new Map<string, string>();
  for (const match of readme.matchAll(/^\| `([A-Z_]+)` \| `([A-Z_]+)` \| (\d{3}) \|/gm)) {
    documented.set(match[1] as string, `${match[2]} ${match[3]}`);
  }
  for (const [kind, entry] of Object.entries(ERROR_TABLE)) {
    t.equal(documented.get(kind), `${entry.code} ${entry.status}`, `README row for ${kind}`);
  }
  t.equal(documented.size, Object.keys(ERROR_TABLE).length, 'no README row for an error that does not exist');
});

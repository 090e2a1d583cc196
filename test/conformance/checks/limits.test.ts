/**
 * The limit checks against the reference registry (its defaults: blobs up to 64 GiB, 64 MiB of
 * manifests arriving at once), against the reference with larger limits (no limit met: the checks
 * pass with a note, the MAY skips), and against the reference broken by hand the ways the open
 * mutants of reference/http/errors.ts and limits.ts break it: the error table's code emptied (413
 * or 429 with code ""), the 429 without Retry-After or with one that is no delay, the 429 turned
 * into a crash (500), a chunk answered 202 for bytes never sent, and a registry that never gives
 * back what broken-off PUTs held. The tampering proxy buffers whole bodies, and these requests
 * never finish theirs: the breakage is applied to the reference in this process and undone after.
 */
import t, { type Test } from 'tap';
import limits from '../../../conformance/checks/limits.ts';
import { ERROR_TABLE, HttpError, type ErrorEntry, type HttpErrorKind } from '../../../reference/http/errors.ts';
import { Limits } from '../../../reference/http/limits.ts';
import { UploadStore } from '../../../reference/store/uploads.ts';
import type { ErrorCode } from '../../../spec/error-codes.ts';
import { describeResult, runChecks } from '../../helpers/checks.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import type { RegistryOptions } from '../../../reference/registry.ts';

const BLOB = 'blobs.upload.chunk-beyond-any-size';
const AT_ONCE = 'manifests.push.too-many-at-once';
const RETRY_AFTER = 'manifests.push.too-many-retry-after';

type Results = Awaited<ReturnType<typeof runChecks>>;

function expectResult(t: Test, results: Results, id: string, status: string, message?: RegExp): void {
  t.equal(results.get(id)?.status, status, `${id}: ${describeResult(results, id)}`);
  if (message) t.match(results.get(id)?.message, message, `${id} message`);
}

async function run(t: Test, ids: readonly string[], options: Partial<RegistryOptions> = {}): Promise<Results> {
  const registry = await startTestRegistry(t, options);
  return runChecks(t, registry.url, limits, ids);
}

/** Replaces an entry of the reference's error table until the test ends. */
function tableEntry(t: Test, kind: HttpErrorKind, entry: ErrorEntry): void {
  const table = ERROR_TABLE as Record<HttpErrorKind, ErrorEntry>;
  const original = table[kind];
  table[kind] = entry;
  t.teardown(() => {
    table[kind] = original;
  });
}

/** Replaces a method of a reference class's prototype until the test ends. */
function patch<T extends object, K extends keyof T>(t: Test, prototype: T, name: K, replacement: (original: T[K]) => T[K]): void {
  const original = prototype[name];
  prototype[name] = replacement(original);
  t.teardown(() => {
    prototype[name] = original;
  });
}

/** Limits.manifest throwing `error` where the reference answers 429. */
function overLimit(t: Test, error: () => Error): void {
  patch(t, Limits.prototype, 'manifest', (original) =>
    function (this: Limits, bytes: number) {
      if (this.held.manifestBytes + bytes > this.config.manifestBytes) throw error();
      return original.call(this, bytes);
    });
}

t.test('the reference passes every limit check: 413 before a 1 PiB chunk, 429 with Retry-After past 64 MiB of manifests', async (t) => {
  const results = await run(t, limits.map((c) => c.id));
  expectResult(t, results, BLOB, 'pass', /PATCH: 413 before the body; PUT: 413 before the body/);
  expectResult(t, results, AT_ONCE, 'pass', /4 answered 429 while the others were held; the push afterwards got 201/);
  expectResult(t, results, RETRY_AFTER, 'pass', /429 with Retry-After 1$/);
});

t.test('a registry without those limits: the chunk is waited for, no 429; pass with a note, the MAY skips', async (t) => {
  const results = await run(t, limits.map((c) => c.id), { maxBlobBytes: Infinity, maxManifestMemory: 1024 ** 3 });
  expectResult(t, results, BLOB, 'pass', /PATCH: no answer within 1000 ms \(the registry waits for the body: no size limit met\); PUT: no answer/);
  expectResult(t, results, AT_ONCE, 'pass', /no answer while 20 manifest PUTs announcing 4190208 bytes each \(80 MiB in all\) were held: no limit met/);
  expectResult(t, results, RETRY_AFTER, 'skip', /no 429 while 20 manifest PUTs .* were held: no limit met/);
});

t.test('413 with its code emptied (reference/http/errors.ts BLOB_TOO_LARGE) fails the chunk check', async (t) => {
  tableEntry(t, 'BLOB_TOO_LARGE', { ...ERROR_TABLE.BLOB_TOO_LARGE, code: '' as ErrorCode });
  const results = await run(t, [BLOB]);
  expectResult(t, results, BLOB, 'fail', /PATCH a fresh session .* error code "" is not one of the spec's codes/);
});

t.test('a chunk of 1 PiB answered 202 before its body, or 500, fails the chunk check', async (t) => {
  await t.test('202', async (t) => {
    patch(t, UploadStore.prototype, 'append', () => async () => 0);
    const results = await run(t, [BLOB]);
    expectResult(t, results, BLOB, 'fail', /\(1024 bytes of it sent\): answered 202, a success for 1125899906842624 bytes the registry never received/);
  });
  await t.test('500', async (t) => {
    patch(t, UploadStore.prototype, 'append', () => async () => {
      throw new Error('out of disk space, somehow');
    });
    const results = await run(t, [BLOB]);
    expectResult(t, results, BLOB, 'fail', /expected status 413, got 500/);
  });
});

t.test('429 with its code emptied (reference/http/errors.ts TOO_MANY_REQUESTS) fails the manifest check', async (t) => {
  tableEntry(t, 'TOO_MANY_REQUESTS', { ...ERROR_TABLE.TOO_MANY_REQUESTS, code: '' as ErrorCode });
  const results = await run(t, [AT_ONCE]);
  expectResult(t, results, AT_ONCE, 'fail', /held after 16384 bytes: error code "" is not one of the spec's codes/);
});

t.test('a crash where the 429 should be (limits.ts tooMany emptied: 500) fails the manifest check', async (t) => {
  overLimit(t, () => new Error('undefined is not an HttpError'));
  const results = await run(t, [AT_ONCE]);
  expectResult(t, results, AT_ONCE, 'fail', /expected status 429 or 413, got 500/);
});

t.test('a 429 without Retry-After skips, one with a Retry-After that is no delay warns, on the Retry-After check', async (t) => {
  await t.test('no Retry-After (limits.ts tooMany with its headers emptied)', async (t) => {
    overLimit(t, () => new HttpError('TOO_MANY_REQUESTS', 'too many', {}, {}));
    const results = await run(t, [AT_ONCE, RETRY_AFTER]);
    expectResult(t, results, AT_ONCE, 'pass');
    expectResult(t, results, RETRY_AFTER, 'skip', /carries no Retry-After \(RFC 6585 §4: MAY\)/);
  });
  await t.test('Retry-After: soon', async (t) => {
    overLimit(t, () => new HttpError('TOO_MANY_REQUESTS', 'too many', {}, { 'Retry-After': 'soon', Connection: 'close' }));
    const results = await run(t, [RETRY_AFTER]);
    expectResult(t, results, RETRY_AFTER, 'warn', /Retry-After "soon" is neither delay-seconds nor an HTTP-date/);
  });
  await t.test('Retry-After as an HTTP-date passes', async (t) => {
    overLimit(t, () => new HttpError('TOO_MANY_REQUESTS', 'too many', {}, { 'Retry-After': new Date(Date.now() + 1000).toUTCString(), Connection: 'close' }));
    const results = await run(t, [RETRY_AFTER]);
    expectResult(t, results, RETRY_AFTER, 'pass', /429 with Retry-After \w{3}, /);
  });
});

t.test('a registry that never gives back what broken-off manifest PUTs held fails the manifest check', async (t) => {
  patch(t, Limits.prototype, 'manifest', (original) =>
    function (this: Limits, bytes: number) {
      original.call(this, bytes);
      return () => undefined;
    });
  const results = await run(t, [AT_ONCE]);
  expectResult(t, results, AT_ONCE, 'fail', /once the 20 held PUTs broke off \(429 on 10 of 10 attempts, 200 ms apart\): expected status 201, got 429/);
});

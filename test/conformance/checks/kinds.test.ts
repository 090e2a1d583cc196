/**
 * The content-kind checks (conformance/checks/kinds.ts) against the reference registry — every one
 * passes — and against broken registries: manifests re-serialized (fault manifest-reformatted),
 * a kind refused with another error than the spec allows, blobs corrupted, the many-layer image
 * refused (a SHOULD: warn), an index with a subject missing from the referrers.
 */
import t from 'tap';
import kinds, { kindCheckId } from '../../../conformance/checks/kinds.ts';
import { startTestRegistry } from '../../helpers/registry.ts';
import { describeResult, runChecks, tampered } from '../../helpers/checks.ts';
import { errorReply } from '../../helpers/tamper-proxy.ts';

const ALL = kinds.map((c) => c.id);
const KINDS = ['data-field', 'custom-fields', 'no-layers', 'empty-index', 'uncompressed-layers', 'non-distributable', 'many-layers', 'artifact-index', 'index-subject'];

t.test('every content-kind check passes against the reference registry', async (t) => {
  t.same(ALL, KINDS.map(kindCheckId), 'one check per kind, in the manifests area');
  const registry = await startTestRegistry(t);
  const results = await runChecks(t, registry.url, kinds, ALL);
  for (const id of ALL) t.equal(results.get(id)?.status, 'pass', `${id}: ${describeResult(results, id)}`);
  t.match(results.get(kindCheckId('index-subject'))?.message, /listed among the referrers/);
  t.comment(`non-distributable: ${describeResult(results, kindCheckId('non-distributable'))}`);
});

t.test('a registry that re-serializes manifests fails every kind', async (t) => {
  const results = await tampered(t, () => undefined, kinds, ALL, { registry: { faults: ['manifest-reformatted'] } });
  for (const id of ALL) {
    const result = results.get(id);
    const refusedOk = id === kindCheckId('non-distributable') && /refused with MANIFEST_BLOB_UNKNOWN/.test(result?.message ?? '');
    t.equal(result?.status, refusedOk ? 'pass' : id === kindCheckId('many-layers') ? 'warn' : 'fail', `${id}: ${describeResult(results, id)}`);
  }
});

t.test('a kind refused with another error than the spec allows fails (warns for the SHOULD kind)', async (t) => {
  const refuse = (pattern: RegExp) => (request: { method: string; url: URL }) =>
    request.method === 'PUT' && pattern.test(request.url.pathname) ? errorReply(400, 'MANIFEST_INVALID') : undefined;
  for (const kind of KINDS) {
    const results = await tampered(t, refuse(new RegExp(`/manifests/${kind}$`)), kinds, [kindCheckId(kind)]);
    const expected = kind === 'many-layers' ? 'warn' : 'fail';
    t.equal(results.get(kindCheckId(kind))?.status, expected, `${kind}: ${describeResult(results, kindCheckId(kind))}`);
  }
});

t.test('blobs served corrupted fail the kinds that pull them back', async (t) => {
  const results = await tampered(t, () => undefined, kinds, [kindCheckId('uncompressed-layers')], { registry: { faults: ['blob-body-corrupted'] } });
  t.equal(results.get(kindCheckId('uncompressed-layers'))?.status, 'fail', describeResult(results, kindCheckId('uncompressed-layers')));
});

t.test('an index with a subject missing from the referrers fails index-subject', async (t) => {
  const results = await tampered(t, (request) => (request.url.pathname.includes('/referrers/') ? errorReply(404, 'MANIFEST_UNKNOWN') : undefined), kinds, [kindCheckId('index-subject')]);
  t.equal(results.get(kindCheckId('index-subject'))?.status, 'fail', describeResult(results, kindCheckId('index-subject')));
});

/**
 * The reply expectations of conformance/client/expect.ts that the checks and the model share,
 * tested on their own: digestNames, which decides whether a Docker-Content-Digest names the bytes.
 */
import t from 'tap';
import { digestNames } from '../../../conformance/client/expect.ts';
import { content } from '../../../conformance/content.ts';

t.test('digestNames verifies what it can compute and trusts well-formed others', async (t) => {
  const blob = content('hello');
  t.ok(digestNames(blob.digest, blob.bytes));
  t.ok(digestNames(content('hello', 'x', 'sha512').digest, blob.bytes), 'another algorithm naming the same bytes');
  t.notOk(digestNames(content('other').digest, blob.bytes));
  t.notOk(digestNames('not a digest', blob.bytes));
  t.ok(digestNames('blake3:abcdef', blob.bytes), 'an algorithm the suite cannot compute is taken on trust');
});

/**
 * The label on JSON answers. RFC 9110 §8.3: "A sender that generates a message containing content
 * SHOULD generate a Content-Type header field in that message"; the JSON the registry writes
 * itself — the tags list (end-8a) and the error envelope (§Error Codes) — is application/json
 * (RFC 8259 §11), as the spec's examples and CNCF Distribution send it. Clients decide from it
 * whether to read an error's code: an unlabelled envelope is a body they may not parse.
 */
import { ensure, expectStatus } from '../client/expect.ts';
import { bareType } from '../client/headers.ts';
import type { Reply } from '../client/registry-client.ts';
import { imageConfig, imageManifest, randomBlob } from '../content.ts';
import { defineChecks } from './types.ts';

/** application/json, or a structured +json type (RFC 6839 §3.1). */
function isJsonType(value: string | undefined): boolean {
  const type = bareType(value);
  return type === 'application/json' || (type !== undefined && type.endsWith('+json'));
}

function expectJsonLabel(reply: Reply, what: string): void {
  const label = reply.header('content-type');
  ensure(isJsonType(label), `${what}: a JSON body labelled ${label === undefined ? 'with no Content-Type' : `Content-Type ${JSON.stringify(label)}`}, not application/json`, reply);
}

export default defineChecks([
  {
    id: 'validation.json.content-type',
    title: 'JSON answers are labelled application/json: the tags list and the error envelope',
    spec: 'RFC 9110 §8.3 ("A sender that generates a message containing content SHOULD generate a Content-Type header field"); RFC 8259 §11 (application/json); §Listing Tags (end-8a), §Error Codes',
    level: 'SHOULD',
    async run(ctx) {
      const repo = ctx.repo('json');
      const config = imageConfig(`json ${repo}`);
      const layer = randomBlob(64);
      await ctx.pushImage(repo, 'latest', config, [layer], imageManifest(config, [layer]));
      const tags = await ctx.request('GET', `/v2/${repo}/tags/list`);
      expectStatus(tags, [200], 'GET tags/list');
      expectJsonLabel(tags, 'GET tags/list');
      const missing = await ctx.request('GET', `/v2/${repo}/manifests/never-pushed`);
      expectStatus(missing, [404], 'GET of a manifest never pushed');
      if (missing.body.length > 0 && missing.json() !== undefined) expectJsonLabel(missing, 'the 404 of a manifest never pushed (its body is JSON)');
    },
  },
]);

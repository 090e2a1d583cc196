/**
 * Requests that address no endpoint of the spec's table (spec "Endpoints"): a path under /v2/
 * that is none of them, a method an endpoint does not define, a path whose percent-encoding does
 * not decode. None is the client's right to expect a 2xx, and none may cost the registry a
 * server error: a path that names nothing is 404 (RFC 9110 §15.5.5), also an endpoint's path
 * with a segment after it or a prefix before it; a method the resource does
 * not support is 405 with an Allow header (RFC 9110 §15.5.6: the origin server "MUST generate an
 * Allow header field in a 405 response"), or 404 from a router that matches method and path at
 * once; a request target that is not a valid URI path is 400 (RFC 9112 §3.2: "Recipients of an
 * invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved
 * Permanently) redirect"; RFC 3986 §2.1: "%" HEXDIG HEXDIG), or 404; so is a target starting
 * with "//" whose authority does not parse (RFC 3986 §4.2). A JSON body of any of these
 * answers is the error envelope with a code of the closed set (§Error Codes).
 */
import { ensure, expectSpecCodesIfJson, expectStatus } from '../client/expect.ts';
import { openUpload, releaseUpload } from '../client/protocol.ts';
import { imageConfig, imageManifest, randomBlob, type Content } from '../content.ts';
import type { CheckContext } from './context.ts';
import { defineChecks } from './types.ts';

/** An image pushed under `latest`: the repository exists, so a 404 below is never "no such repository". */
async function existingRepo(ctx: CheckContext): Promise<string> {
  return (await existingImage(ctx)).repo;
}

async function existingImage(ctx: CheckContext): Promise<{ repo: string; layer: Content; manifest: Content }> {
  const repo = ctx.repo('addressing');
  const config = imageConfig(`addressing ${repo}`);
  const layer = randomBlob(64);
  const manifest = imageManifest(config, [layer]);
  await ctx.pushImage(repo, 'latest', config, [layer], manifest);
  return { repo, layer, manifest };
}

/** A path segment before /v2/ that no registry serves the API under. */
const PREFIX = '/touchstone-not-the-api';

export default defineChecks([
  {
    id: 'validation.route.unknown',
    title: 'A path under /v2/ that is no endpoint answers 404, never a 2xx or 5xx',
    spec: '§Endpoints (the table of end-1 … end-14 is every resource a registry serves); RFC 9110 §15.5.5 (404: "the origin server did not find a current representation for the target resource")',
    level: 'SHOULD',
    async run(ctx) {
      const { repo, layer, manifest } = await existingImage(ctx);
      const session = await openUpload(ctx.client, repo);
      const upload = new URL(session.url).pathname;
      // Each endpoint's path with a segment after it or a prefix before it: a router that matches
      // only the start or only the end of a path serves existing content at either.
      const endpoints = ['/v2/', '/v2/_catalog', `/v2/${repo}/tags/list`, `/v2/${repo}/manifests/latest`, `/v2/${repo}/referrers/${manifest.digest}`, `/v2/${repo}/blobs/${layer.digest}`, `/v2/${repo}/blobs/uploads/`, upload];
      const paths = [
        `/v2/${repo}/no-such-endpoint`,
        `/v2/${repo}/manifests`,
        ...endpoints.map((path) => `${path.replace(/\/$/, '')}/more`),
        ...endpoints.map((path) => `${PREFIX}${path}`),
      ];
      for (const path of paths) {
        const reply = await ctx.request('GET', path);
        expectStatus(reply, [404], `GET ${path} (no endpoint)`);
        expectSpecCodesIfJson(reply, `GET ${path} (no endpoint)`);
      }
      await releaseUpload(ctx.client, session.url);
      return `${paths.length} paths that are no endpoint answered 404`;
    },
  },
  {
    id: 'validation.method.not-allowed',
    title: 'A method an endpoint does not define answers 405 with Allow (or 404), never a 2xx or 5xx',
    spec: '§Endpoints (each endpoint\'s methods); RFC 9110 §15.5.6 ("The origin server MUST generate an Allow header field in a 405 response containing a list of the target resource\'s currently supported methods")',
    level: 'MUST',
    async run(ctx) {
      const repo = await existingRepo(ctx);
      const probes = [
        { method: 'POST', path: `/v2/${repo}/tags/list` },
        { method: 'PATCH', path: `/v2/${repo}/manifests/latest` },
        { method: 'POST', path: `/v2/${repo}/manifests/latest` },
      ];
      for (const { method, path } of probes) {
        const what = `${method} ${path} (a method the endpoint does not define)`;
        const reply = await ctx.request(method, path, { headers: { 'Content-Length': '0' } });
        expectStatus(reply, [404, 405], what);
        expectSpecCodesIfJson(reply, what);
        const allow = reply.header('allow');
        if (reply.status === 405) ensure(allow !== undefined && allow.trim() !== '', `${what}: 405 without an Allow header`, reply);
        if (allow === undefined) continue;
        const listed = allow.toUpperCase().split(/\s*,\s*/);
        ensure(!listed.includes(method), `${what}: answered ${reply.status}, yet its Allow header lists ${method}: ${allow}`, reply);
        // Both endpoints define GET (end-3, end-8): a list of the resource's methods (RFC 9110 §10.2.1, a comma-separated list) names it.
        ensure(listed.includes('GET'), `${what}: the Allow header ${JSON.stringify(allow)} does not list GET, which the endpoint defines (RFC 9110 §10.2.1: a comma-separated list of methods)`, reply);
      }
      return `${probes.length} requests with a method the endpoint does not define answered 404 or 405`;
    },
  },
  {
    id: 'validation.target.percent-encoding',
    title: 'A path whose percent-encoding does not decode answers 400 (or 404), never a 2xx or 5xx',
    spec: 'RFC 9112 §3.2 ("Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect"); RFC 3986 §2.1 (pct-encoded = "%" HEXDIG HEXDIG)',
    level: 'MUST',
    async run(ctx) {
      const repo = await existingRepo(ctx);
      const paths = [`/v2/${repo}%zz/tags/list`, `/v2/${repo}/manifests/%E0%A4%A`, `/v2/${repo}/blobs/uploads/%`];
      for (const path of paths) {
        const reply = await ctx.request('GET', path);
        expectStatus(reply, [400, 404], `GET ${path} (a percent-encoding that does not decode)`);
        expectSpecCodesIfJson(reply, `GET ${path}`);
      }
      return `${paths.length} paths with a broken percent-encoding answered 400 or 404`;
    },
  },
  {
    id: 'validation.target.not-a-path',
    title: 'A request target that starts like an authority and does not parse as one answers 400 (or 301, 404), never a 2xx or 5xx',
    spec: 'RFC 9112 §3.2 ("Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect"); RFC 3986 §3.2.3 (port = *DIGIT), §4.2 (a reference starting with "//" is network-path: an authority)',
    level: 'MUST',
    async run(ctx) {
      const repo = await existingRepo(ctx);
      // Both name a repository that exists: a registry that reads them as paths still finds no endpoint.
      const targets = [`//registry.invalid:99999/v2/${repo}/tags/list`, `//[registry/v2/${repo}/tags/list`];
      for (const target of targets) {
        const what = `GET ${target} (a target the URL grammar cannot read: an authority with a port past 65535, an unclosed IP literal)`;
        const reply = await ctx.request('GET', target, { followRedirects: false });
        expectStatus(reply, [301, 400, 404], what);
        expectSpecCodesIfJson(reply, what);
      }
      return `${targets.length} targets that are not paths answered 301, 400 or 404`;
    },
  },
]);

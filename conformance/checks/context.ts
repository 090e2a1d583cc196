/**
 * What a check works with: the client, the run's configuration, fresh repository names under the
 * namespace (so a run never collides with anything on a shared registry), and push helpers whose
 * failures are reported as failures of the setup step of the check that needed them.
 */
import { RegistryClient, type ClientOptions, type Reply } from '../client/registry-client.ts';
import { CheckSkipped } from '../client/errors.ts';
import { locationOf, withDigest } from '../client/protocol.ts';
import { expectStatus } from '../client/expect.ts';
import type { Content } from '../content.ts';
import type { RunConfig } from '../config.ts';

export class CheckContext {
  readonly client: RegistryClient;
  readonly config: RunConfig;
  /** Repositories this run created, for cleanup. */
  readonly created: Set<string>;
  /** Repositories the run wrote to without creating them: cleanup deletes only what it pushed there. */
  readonly touched: Set<string>;
  readonly #clients: RegistryClient[] = [];
  #counter = 0;

  constructor(client: RegistryClient, config: RunConfig, created: Set<string>, touched = new Set<string>()) {
    this.client = client;
    this.config = config;
    this.created = created;
    this.touched = touched;
  }

  /**
   * Another client of the same registry, TLS and exchange log (so a check's results show its
   * exchanges too) for another identity, or none; closed by close().
   */
  clientFor(identity: Pick<ClientOptions, 'username' | 'password' | 'credentialNames'>): RegistryClient {
    const client = new RegistryClient({ baseUrl: this.client.baseUrl, log: this.client.log, tls: this.client.tls, ...identity });
    this.#clients.push(client);
    return client;
  }

  /** Closes the clients clientFor made. */
  async close(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((client) => client.close()));
  }

  /** A repository name no one has used: <namespace>/<runId>-<n>[-hint]. */
  repo(hint = ''): string {
    this.#counter += 1;
    const name = `${this.config.namespace}/${this.config.runId}-${this.#counter}${hint ? `-${hint}` : ''}`;
    this.created.add(name);
    return name;
  }

  /** A fresh repository under the cross-mount namespace (OCI_CROSSMOUNT_NAMESPACE). */
  crossRepo(hint = ''): string {
    this.#counter += 1;
    const name = `${this.config.crossmountNamespace}/${this.config.runId}-${this.#counter}${hint ? `-${hint}` : ''}`;
    this.created.add(name);
    return name;
  }

  skip(reason: string): never {
    throw new CheckSkipped(reason);
  }

  request(method: string, path: string, options?: Parameters<RegistryClient['request']>[2]): Promise<Reply> {
    return this.client.request(method, path, options);
  }

  /** POST to open an upload session; returns the absolute session URL. */
  async openSession(repo: string): Promise<string> {
    const reply = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    expectStatus(reply, [202], 'setup: open an upload session');
    return locationOf(this.client, reply, 'setup: POST upload');
  }

  /** Adds `?digest=` (or `&digest=`) to a session URL, keeping its own query (spec: clients MUST keep it). */
  withDigest(session: string, digest: string): string {
    return withDigest(session, digest);
  }

  /** Pushes a blob the most widely supported way: POST, then PUT with the whole body. */
  async pushBlob(repo: string, blob: Content): Promise<void> {
    const session = await this.openSession(repo);
    const reply = await this.request('PUT', this.withDigest(session, blob.digest), {
      body: blob.bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expectStatus(reply, [201], `setup: push blob ${blob.digest}`);
  }

  async pushManifest(repo: string, reference: string, manifest: Content): Promise<Reply> {
    const reply = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      body: manifest.bytes,
      headers: { 'Content-Type': manifest.mediaType },
    });
    expectStatus(reply, [201], `setup: push manifest ${reference}`);
    return reply;
  }

  /** Pushes config, layers and manifest of an image under `tag`. */
  async pushImage(repo: string, tag: string, config: Content, layers: readonly Content[], manifest: Content): Promise<void> {
    for (const blob of [config, ...layers]) await this.pushBlob(repo, blob);
    await this.pushManifest(repo, tag, manifest);
  }
}

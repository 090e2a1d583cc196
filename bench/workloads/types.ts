/**
 * What a workload is: an operation a client performs against a registry (push a blob by one of
 * the spec's upload flows, pull a blob, HEAD a manifest, list tags, …), timed one call at a time
 * by the runner, with an untimed preparation per registry and blob size (the pool a pull reads,
 * the tags a listing walks). A registry that does not offer an optional feature the workload
 * needs (single POST upload, referrers, mounts) says so in preparation: the workload is then
 * reported unsupported there, not failed.
 */
import type { RegistryClient } from '../../conformance/client/registry-client.ts';
import type { BlobFactory, BlobRef } from '../content.ts';
import type { Ledger } from '../ledger.ts';
import type { Settings } from '../settings.ts';

/** One registry under test. */
export interface Target {
  /** Short name shown in tables and charts (A, B… or the name given with --url NAME=URL). */
  readonly label: string;
  readonly url: string;
  readonly client: RegistryClient;
  /** Every repository the run creates is under this: <namespace>/<run id>. */
  readonly prefix: string;
  readonly blobs: BlobFactory;
  /** A blob never pushed before in this run (unique index). */
  fresh(size: number): BlobRef;
  /** What preparation pushed: verified and deleted at the end of the run. */
  readonly setup: Ledger;
}

/** What one operation did, for the throughput and time-to-first-byte figures. */
export interface OpResult {
  /** Payload bytes moved (blob or document bytes, either direction). */
  readonly bytes: number;
  /** HTTP requests the operation sent. */
  readonly requests: number;
  /** Time to the first byte of the response body, for operations that read one. */
  readonly ttfbMs?: number;
}

/** The cell an operation runs in: its ledger (verified and deleted when the cell ends) and a tag unique to the cell. */
export interface CellScope {
  readonly ledger: Ledger;
  readonly tag: string;
}

export type Operation = (index: number, scope: CellScope) => Promise<OpResult>;

/** A prepared workload: its operation, or why the registry cannot run it. */
export type Prepared = { readonly op: Operation } | { readonly unsupported: string };

export interface Workload {
  readonly name: string;
  readonly description: string;
  /** Runs at every blob size (push, pull, mixed); the others run once per concurrency level. */
  readonly sized: boolean;
  /** Share of the operations that push one blob of the cell's size (for the volume estimate). */
  pushShare(settings: Settings): number;
  /** Bytes preparation pushes per registry at this size (for the volume estimate). */
  setupBytes(settings: Settings, size: number): number;
  prepare(target: Target, settings: Settings, size: number): Promise<Prepared>;
}

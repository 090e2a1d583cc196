/**
 * TLS towards the registry (and its token realm): verification on by default against the system's
 * CAs, or against a CA the user names (--ca-file), or off (--insecure, the official suite's
 * OCI_TLS=insecure). A handshake that fails is a harness error — the registry never answered —
 * and its message says which CAs were tried and the two ways out, so that a registry with its own
 * CA reads as a setup step, never as a broken registry.
 */
import { readFileSync } from 'node:fs';
import type { RunConfig } from '../config.ts';

export interface ClientTls {
  /** PEM CA certificates to trust instead of the system's. */
  readonly ca?: string;
  /** Where `ca` was read from, for messages. */
  readonly caFile?: string;
  /** Accept any certificate. */
  readonly insecure?: boolean;
}

/** The client's TLS options for a run. */
export function clientTls(config: Pick<RunConfig, 'tls' | 'ca' | 'caFile'>): ClientTls {
  if (config.tls === 'insecure') return { insecure: true };
  return config.ca === undefined ? {} : { ca: config.ca, caFile: config.caFile };
}

/** The PEM certificates of a --ca-file, or an Error saying why it cannot be one. */
export function readCaFile(file: string): string | Error {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return new Error(`--ca-file ${file} cannot be read: ${(error as Error).message}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) return new Error(`--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return text;
}

/** Node's codes of a certificate that does not verify (OpenSSL X509 errors and the host name check). */
const VERIFY_CODES = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH|CERT_UNTRUSTED)/;

/**
 * What to tell a user whose connection failed with `code` (undefined for no TLS problem): the
 * certificate did not verify against the CAs in use, or the other side does not speak TLS.
 */
export function tlsProblem(code: string | undefined, tls: ClientTls): string | undefined {
  if (code === undefined) return undefined;
  if (VERIFY_CODES.test(code)) {
    const against = tls.ca !== undefined ? `the CA of --ca-file ${tls.caFile ?? ''}`.trim() : "the system's CAs";
    return `TLS: the registry's certificate was not verified against ${against} (${code}). Give the CA that signed it with --ca-file FILE, or skip verification with --insecure (OCI_TLS=insecure)`;
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL')) {
    return `TLS: the handshake failed (${code}): does the registry speak HTTPS on that port? Use http:// for a plain-HTTP registry`;
  }
  return undefined;
}

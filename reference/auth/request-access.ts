/**
 * The hook through which the auth layer tells the registry's handlers who is asking: set on each
 * request it lets through, read by the handlers whose answer depends on the caller. `_catalog`
 * lists only the repositories `canPull` accepts (the rule: the catalog reveals nothing of
 * repositories the caller may not pull). Without authentication nothing is set and everything is
 * visible. Imports nothing, so any handler can use it.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestAccess {
  /** The authenticated user; undefined for the anonymous identity. */
  readonly user: string | undefined;
  /** Whether the caller may pull from repository `name`. */
  canPull(name: string): boolean;
}

const ACCESS = new WeakMap<IncomingMessage, RequestAccess>();

export function setRequestAccess(req: IncomingMessage, access: RequestAccess): void {
  ACCESS.set(req, access);
}

/** The caller's access, or undefined when the registry runs without authentication. */
export function requestAccess(req: IncomingMessage): RequestAccess | undefined {
  return ACCESS.get(req);
}

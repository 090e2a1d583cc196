/**
 * A start-up failure of the registry's security configuration (TLS files, htpasswd, policy,
 * token keys): the message names the file, the line or entry, and what to do. `touchstone serve`
 * prints it and exits 2 instead of starting with a half-understood configuration.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

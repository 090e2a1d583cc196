/**
 * The `touchstone serve` flags for TLS, authentication and the access policy, and their
 * translation into RegistryOptions.tls and .auth. Each flag that needs another one says so:
 *
 *   --tls-cert FILE --tls-key FILE                 serve HTTPS
 *   --auth htpasswd --htpasswd FILE                Basic authentication
 *   --auth token --token-key FILE --token-cert FILE [--htpasswd FILE]
 *        [--token-issuer NAME] [--token-service NAME] [--token-ttl SECONDS] [--token-realm URL]
 *   --policy FILE                                  who may pull, push, delete what
 */
import { ConfigError } from './errors.ts';
import type { AuthOptions, TlsOptions } from './setup.ts';

export const SECURITY_FLAGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  auth: { type: 'string' },
  htpasswd: { type: 'string' },
  policy: { type: 'string' },
  'token-key': { type: 'string' },
  'token-cert': { type: 'string' },
  'token-issuer': { type: 'string' },
  'token-service': { type: 'string' },
  'token-ttl': { type: 'string' },
  'token-realm': { type: 'string' },
} as const;

export const SECURITY_USAGE = `[--tls-cert FILE --tls-key FILE] [--policy FILE]
                   [--auth htpasswd --htpasswd FILE]
                   [--auth token --token-key FILE --token-cert FILE [--htpasswd FILE] [--token-issuer NAME]
                                 [--token-service NAME] [--token-ttl SECONDS] [--token-realm URL]]`;

type Values = Partial<Record<keyof typeof SECURITY_FLAGS, string>>;

export function securityOptions(values: Values): { tls?: TlsOptions; auth?: AuthOptions } {
  const given = (names: readonly (keyof Values)[]) => names.filter((name) => values[name] !== undefined).map((name) => `--${name}`);
  let tls: TlsOptions | undefined;
  if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
    if (values['tls-cert'] === undefined || values['tls-key'] === undefined) throw new ConfigError('--tls-cert and --tls-key go together');
    tls = { cert: values['tls-cert'], key: values['tls-key'] };
  }
  const tokenFlags = ['token-key', 'token-cert', 'token-issuer', 'token-service', 'token-ttl', 'token-realm'] as const;
  if (values.auth === undefined) {
    const stray = given(['htpasswd', 'policy', ...tokenFlags]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} need --auth htpasswd or --auth token`);
    return { tls };
  }
  const mode = values.auth;
  if (mode !== 'htpasswd' && mode !== 'token') throw new ConfigError(`--auth is htpasswd or token, got ${mode}`);
  const common: AuthOptions = { mode, htpasswd: values.htpasswd, policy: values.policy };
  if (mode === 'htpasswd') {
    const stray = given(tokenFlags);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} need --auth token`);
    if (values.htpasswd === undefined) throw new ConfigError('--auth htpasswd needs --htpasswd FILE');
    return { tls, auth: common };
  }
  if (values['token-key'] === undefined || values['token-cert'] === undefined) throw new ConfigError('--auth token needs --token-key FILE and --token-cert FILE');
  const ttl = values['token-ttl'];
  if (ttl !== undefined && !/^[1-9]\d*$/.test(ttl)) throw new ConfigError(`--token-ttl needs a whole number of seconds, got ${ttl}`);
  return {
    tls,
    auth: {
      ...common,
      token: {
        key: values['token-key'],
        cert: values['token-cert'],
        issuer: values['token-issuer'],
        service: values['token-service'],
        ttlSeconds: ttl === undefined ? undefined : Number(ttl),
        realm: values['token-realm'],
      },
    },
  };
}

/**
 * htpasswd files: bcrypt entries made by the real `htpasswd -B` verify (and $2a$/$2b$ spellings
 * of the same algorithm); every other hash type htpasswd can write is refused at start-up with the
 * line and the user, never the entry itself; successful checks are remembered for a short while,
 * bounded, and shared by concurrent checks, failed ones never.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Htpasswd, parseHtpasswd } from '../../../reference/auth/htpasswd.ts';
import { ConfigError } from '../../../reference/auth/errors.ts';
import { makeHtpasswd } from '../../helpers/pki.ts';
import { requireTool, run, tempDir } from '../../helpers/tools.ts';

t.test('entries written by htpasswd -B verify; wrong passwords and unknown users do not', async (t) => {
  const dir = await tempDir(t);
  const file = await makeHtpasswd(t, join(dir, 'htpasswd'), { alice: 'alice-pw', bob: 'b:o b ü' });
  if (!file) return;
  t.match(await readFile(file, 'utf8'), /^alice:\$2y\$05\$/, 'htpasswd -B writes $2y$');
  const users = await Htpasswd.load(file);
  t.same(users.users(), ['alice', 'bob']);
  t.ok(await users.verify('alice', 'alice-pw'), 'alice with her password');
  t.ok(await users.verify('bob', 'b:o b ü'), 'a password with a colon, spaces and UTF-8');
  t.notOk(await users.verify('alice', 'bob-pw'), 'alice with a wrong password');
  t.notOk(await users.verify('alice', ''), 'alice with an empty password');
  t.notOk(await users.verify('carol', 'alice-pw'), 'a user not in the file');
  t.ok(users.has('bob'));
  t.notOk(users.has('carol'));
});

t.test('$2a$ and $2b$ are the same bcrypt and verify too', async (t) => {
  const hash = bcrypt.hashSync('pw', 4).slice(4); // without "$2b$"
  for (const prefix of ['$2a$', '$2b$', '$2y$']) {
    const users = new Htpasswd(parseHtpasswd(`u:${prefix}${hash}\n`, 'f'));
    t.ok(await users.verify('u', 'pw'), prefix);
    t.notOk(await users.verify('u', 'px'), `${prefix} wrong password`);
  }
});

t.test('every other hash type htpasswd writes is refused, naming the line and user, never the entry', async (t) => {
  if (!(await requireTool(t, 'htpasswd', 'apache2-utils'))) return;
  const cases: Array<[string, RegExp]> = [
    ['-s', /SHA-1 \(\{SHA\}\)/],
    ['-m', /Apache MD5 \(\$apr1\$\)/],
    ['-d', /DES crypt/],
    ['-p', /plain-text/],
  ];
  for (const [flag, kind] of cases) {
    const made = await run('htpasswd', ['-n', '-b', flag, 'carol', 'plain-secret-pw'], { timeoutMs: 30_000 });
    const entry = made.stdout.trim();
    const text = `# users\nalice:${bcrypt.hashSync('x', 4)}\n\n${entry}\n`;
    const error = t.throws(() => parseHtpasswd(text, '/etc/registry/htpasswd'), ConfigError, `htpasswd ${flag} is refused`) as Error;
    t.match(error.message, kind, `${flag}: says which hash type`);
    t.match(error.message, /^\/etc\/registry\/htpasswd line 4: user "carol" has /, `${flag}: names the file, line and user`);
    t.match(error.message, 'htpasswd -B /etc/registry/htpasswd carol', `${flag}: says how to fix it`);
    t.notMatch(error.message, entry.slice(6), `${flag}: the entry is not echoed`);
    t.notMatch(error.message, 'plain-secret-pw', `${flag}: the password is not echoed`);
  }
});

t.test('malformed files are refused with the line', async (t) => {
  const ok = bcrypt.hashSync('x', 4);
  t.throws(() => parseHtpasswd(`alice:${ok}\nno colon here\n`, 'f'), /^f line 2: not a "user:hash" entry$/);
  t.throws(() => parseHtpasswd(`:${ok}\n`, 'f'), /^f line 1: not a "user:hash" entry$/);
  t.throws(() => parseHtpasswd(`alice:${ok}\nalice:${ok}\n`, 'f'), /^f line 2: user "alice" appears twice$/);
  t.throws(() => parseHtpasswd(`alice:$2y$03$${ok.slice(7)}\n`, 'f'), /malformed bcrypt/, 'a cost below 4');
  t.throws(() => parseHtpasswd(`alice:${ok.slice(0, -1)}\n`, 'f'), /malformed bcrypt/, 'a truncated hash');
  t.throws(() => parseHtpasswd('# only a comment\n\n', 'f'), /^f: no users/);
  t.same([...parseHtpasswd(`# c\r\nalice:${ok}\r\n\r\n`, 'f').keys()], ['alice'], 'CRLF lines and comments');
  const dir = await tempDir(t);
  await t.rejects(Htpasswd.load(join(dir, 'missing')), /cannot read the htpasswd file .*missing/);
});

t.test('a successful check is remembered for its TTL, bounded, and shared by concurrent checks', async (t) => {
  const users = new Map([
    ['alice', bcrypt.hashSync('a', 4)],
    ['bob', bcrypt.hashSync('b', 4)],
    ['carol', bcrypt.hashSync('c', 4)],
  ]);
  let now = 1_000_000;
  let compares = 0;
  const htpasswd = new Htpasswd(users, {
    now: () => now,
    cacheTtlMs: 60_000,
    cacheMax: 2,
    compare: (password, hash) => {
      compares++;
      return bcrypt.compare(password, hash);
    },
  });
  const results = await Promise.all(Array.from({ length: 30 }, () => htpasswd.verify('alice', 'a')));
  t.ok(results.every(Boolean), '30 concurrent checks succeed');
  t.equal(compares, 1, 'and cost one bcrypt comparison');
  t.ok(await htpasswd.verify('alice', 'a'));
  t.equal(compares, 1, 'remembered');
  t.notOk(await htpasswd.verify('alice', 'wrong'));
  t.notOk(await htpasswd.verify('alice', 'wrong'));
  t.equal(compares, 3, 'failures are never remembered');
  t.notOk(await htpasswd.verify('nobody', 'a'));
  t.equal(compares, 4, 'an unknown user costs a comparison too (no timing oracle)');
  now += 60_001;
  t.ok(await htpasswd.verify('alice', 'a'));
  t.equal(compares, 5, 'checked again after the TTL');
  t.ok(await htpasswd.verify('bob', 'b'));
  t.ok(await htpasswd.verify('carol', 'c'));
  t.equal(compares, 7);
  t.ok(await htpasswd.verify('alice', 'a'));
  t.equal(compares, 8, 'the oldest entry was evicted to keep at most 2');
  t.ok(await htpasswd.verify('carol', 'c'));
  t.equal(compares, 8, 'a newer entry is still there');
});

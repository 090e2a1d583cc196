/**
 * The access policy: glob patterns (`*` within a segment, `**` across segments, exact otherwise),
 * the union of an identity's grants (its own, every user's `"*"`, anonymous's), the defaults
 * without a policy, the registry-wide resources, and start-up errors that name the line.
 */
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ANONYMOUS, allows, Policy, patternToRegExp, tokenGrants, type Identity } from '../../../reference/auth/policy.ts';
import { ConfigError } from '../../../reference/auth/errors.ts';
import { tempDir } from '../../helpers/tools.ts';

const user = (name: string): Identity => ({ kind: 'user', name });
const actions = (policy: Policy, identity: Identity, name: string, type = 'repository') => [...policy.grantsFor(identity).actions({ type, name })].sort();

t.test('patterns', async (t) => {
  const table: Array<[string, string[], string[]]> = [
    ['library/app', ['library/app'], ['library/app2', 'library', 'x/library/app']],
    ['team/*', ['team/a', 'team/app-1'], ['team', 'team/a/b', 'teams/a']],
    ['team/app-*', ['team/app-', 'team/app-x'], ['team/app', 'team/app-x/y']],
    ['*', ['a', 'app'], ['a/b']],
    ['team/**', ['team/a', 'team/a/b/c'], ['team', 'teams/a']],
    ['**/cache', ['cache', 'a/cache', 'a/b/cache'], ['cache2', 'a/cache/x']],
    ['a/**/z', ['a/z', 'a/b/z', 'a/b/c/z'], ['z', 'a/zz', 'b/a/z']],
    ['**', ['a', 'a/b/c'], []],
    ['a.b', ['a.b'], ['axb']],
  ];
  for (const [pattern, yes, no] of table) {
    const regexp = patternToRegExp(pattern);
    for (const name of yes) t.ok(regexp.test(name), `${pattern} matches ${name}`);
    for (const name of no) t.notOk(regexp.test(name), `${pattern} does not match ${name}`);
  }
});

const POLICY = `# who may do what
users:
  alice:
    "**": "*"
  bob:
    team/*: [pull, push]
    library/app: pull
  carol:
    "team/**": [delete]
  "*":
    shared/**: [pull]
  dave: {}
anonymous:
  public/**: [pull]
`;

t.test('grants are the union of the identity\'s entries, every user\'s and anonymous\'s', async (t) => {
  const policy = Policy.parse(POLICY, 'policy.yaml');
  t.same(actions(policy, user('alice'), 'any/thing'), ['delete', 'pull', 'push'], 'alice: everything');
  t.same(actions(policy, user('bob'), 'team/app'), ['pull', 'push']);
  t.same(actions(policy, user('bob'), 'team/app/sub'), [], '* stays within a segment');
  t.same(actions(policy, user('bob'), 'library/app'), ['pull'], 'a single action as a string');
  t.same(actions(policy, user('bob'), 'library/other'), []);
  t.same(actions(policy, user('carol'), 'team/a/b'), ['delete']);
  t.same(actions(policy, user('bob'), 'shared/x'), ['pull'], '"*" applies to every user');
  t.same(actions(policy, user('dave'), 'public/img'), ['pull'], 'users get what anonymous gets');
  t.same(actions(policy, user('dave'), 'team/app'), [], 'dave has no entries of his own');
  t.same(actions(policy, user('eve'), 'shared/x'), ['pull'], 'a user the policy does not name gets "*" and anonymous');
  t.same(actions(policy, ANONYMOUS, 'public/img'), ['pull']);
  t.same(actions(policy, ANONYMOUS, 'shared/x'), [], 'anonymous does not get what "*" gives users');
  t.same(actions(policy, ANONYMOUS, 'team/app'), []);
  t.same(actions(policy, user('alice'), 'anything', 'plugin'), [], 'unknown resource types grant nothing');
});

t.test('registry-wide resources: catalog for identities with some access, gc for those with everything on **', async (t) => {
  const policy = Policy.parse(POLICY, 'policy.yaml');
  t.same(actions(policy, user('dave'), 'catalog', 'registry'), ['*']);
  t.same(actions(policy, ANONYMOUS, 'catalog', 'registry'), ['*'], 'anonymous has some access');
  t.same(actions(policy, user('alice'), 'gc', 'registry'), ['*']);
  t.same(actions(policy, user('bob'), 'gc', 'registry'), []);
  t.same(actions(policy, user('alice'), 'other', 'registry'), []);
  t.ok(policy.hasAnyAccess(ANONYMOUS));
  const closed = Policy.parse('users:\n  alice: { "**": [pull] }\n', 'p');
  t.notOk(closed.hasAnyAccess(ANONYMOUS), 'anonymous without entries has no access');
  t.same(actions(closed, ANONYMOUS, 'catalog', 'registry'), []);
  t.same(actions(closed, user('alice'), 'gc', 'registry'), [], 'pull alone on ** is no admin');
});

t.test('without a policy, users may do everything and anonymous nothing', async (t) => {
  const policy = Policy.usersOnly();
  t.same(actions(policy, user('anyone'), 'a/b'), ['delete', 'pull', 'push']);
  t.same(actions(policy, user('anyone'), 'gc', 'registry'), ['*']);
  t.same(actions(policy, ANONYMOUS, 'a/b'), []);
  t.same(actions(policy, ANONYMOUS, 'catalog', 'registry'), []);
  t.ok(policy.hasAnyAccess(user('anyone')));
  t.notOk(policy.hasAnyAccess(ANONYMOUS));
});

t.test('token grants are exactly the access claim; allows needs every action', async (t) => {
  const grants = tokenGrants([
    { type: 'repository', name: 'a', actions: ['pull'] },
    { type: 'repository', name: 'a', actions: ['push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  t.ok(allows(grants, { type: 'repository', name: 'a', actions: ['pull', 'push'] }));
  t.notOk(allows(grants, { type: 'repository', name: 'a', actions: ['delete'] }));
  t.notOk(allows(grants, { type: 'repository', name: 'b', actions: ['pull'] }), 'another repository');
  t.notOk(allows(grants, { type: 'registry', name: 'a', actions: ['pull'] }), 'another type');
  t.ok(allows(grants, { type: 'registry', name: 'catalog', actions: ['*'] }));
});

t.test('a JSON policy file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'policy.json');
  await writeFile(file, JSON.stringify({ users: { alice: { 'team/*': ['pull'] } }, anonymous: { '**': ['pull'] } }));
  const policy = await Policy.load(file);
  t.same(actions(policy, user('alice'), 'team/x'), ['pull']);
  t.same(actions(policy, ANONYMOUS, 'x'), ['pull']);
  await t.rejects(Policy.load(join(dir, 'missing.yaml')), /cannot read the policy file .*missing\.yaml/);
});

t.test('mistakes are start-up errors naming the line', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['YAML syntax', 'users:\n  alice: { "**": [pull\n', /^p\.yaml line \d+: /],
    ['not a map', '- alice\n', /^p\.yaml line 1: a policy is a map with the keys users and anonymous$/],
    ['unknown key', 'users: {}\nanonymus:\n  a: [pull]\n', /^p\.yaml line 2: unknown key "anonymus"/],
    ['users not a map', 'users: [alice]\n', /^p\.yaml line 1: users maps each user name/],
    ['unknown action', 'users:\n  alice:\n    team/*: [pull, pul]\n', /^p\.yaml line 3: user alice, team\/\*: "pul" is not an action \(pull, push, delete or \*\)$/],
    ['no actions', 'users:\n  alice:\n    team/*: []\n', /^p\.yaml line 3: user alice, team\/\*: no actions$/],
    ['uppercase pattern', 'anonymous:\n  Team/app: [pull]\n', /^p\.yaml line 2: anonymous: pattern "Team\/app": patterns hold lowercase letters/],
    ['partial **', 'anonymous:\n  team/a**: [pull]\n', /\*\* stands for whole path segments only/],
    ['empty segment', 'anonymous:\n  team//a: [pull]\n', /no empty path segment/],
    ['patterns not a map', 'users:\n  alice: [pull]\n', /^p\.yaml line 2: user alice maps repository patterns to actions$/],
    ['duplicate user', 'users:\n  alice: {}\n  alice: {}\n', /^p\.yaml line 3: Map keys must be unique/],
  ];
  for (const [what, text, expected] of cases) {
    t.throws(() => Policy.parse(text, 'p.yaml'), ConfigError, what);
    t.throws(() => Policy.parse(text, 'p.yaml'), expected, what);
  }
  t.throws(() => Policy.parse('users:\n  alice: {}\n  bbo: {}\n', 'p.yaml', (name) => name === 'alice'), /^p\.yaml line 3: user "bbo" is not in the htpasswd file$/);
  t.doesNotThrow(() => Policy.parse('users:\n  "*": {}\n', 'p.yaml', () => false), '"*" is no user name to check');
  t.doesNotThrow(() => Policy.parse('anonymous:\n', 'p.yaml'), 'an empty anonymous entry');
});

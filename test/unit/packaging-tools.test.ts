// The packaging tools that need no package build: the fpm command line that
// electron-builder writes, read into a deb; the dist:linux plan; npm start's
// binary check; the stand-in Electron's fuse wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronBinary } from '../../app/src/launch/start-electron.js';
import { controlDescription, parseFpmArguments } from '../../packaging/tools/fpm-dpkg-deb.js';
import { planDistLinux } from '../../packaging/tools/dist-linux.js';
import { fuseWire, makeStandInElectron, readFuses } from '../packaging/stand-in-electron.js';

/** What electron-builder 26 passes its fpm for this project's deb target, shortened. */
const ELECTRON_BUILDER_ARGS = [
  '-s',
  'dir',
  '--force',
  '-t',
  'deb',
  '-d',
  'libgtk-3-0',
  '-d',
  'iproute2',
  '--deb-recommends',
  'libasound2',
  '--deb-compression',
  'xz',
  '--architecture',
  'amd64',
  '--after-install',
  '/tmp/0-after-install',
  '--after-remove',
  '/tmp/1-after-remove',
  '--description',
  'WireGuard client\n Wirefly brings tunnels up.',
  '--version',
  '0.1.0',
  '--package',
  '/out/wirefly_0.1.0_amd64.deb',
  '--name',
  'wirefly',
  '--maintainer',
  'A <a@example.org>',
  '--vendor',
  'A <a@example.org>',
  '--url',
  'https://example.org',
  '--deb-priority',
  'optional',
  '--license',
  'MIT',
  '--before-remove=packaging/linux/deb/before-remove.sh',
  'packaging/linux/bin/wirefly=/usr/bin/wirefly',
  '/out/linux-unpacked/=/opt/Wirefly',
];

test("electron-builder's fpm arguments become the deb's control fields, scripts and files", () => {
  const request = parseFpmArguments(ELECTRON_BUILDER_ARGS);
  assert.equal(request.packageFile, '/out/wirefly_0.1.0_amd64.deb');
  assert.equal(request.compression, 'xz');
  assert.deepEqual(Object.fromEntries(request.control), {
    Depends: 'libgtk-3-0, iproute2',
    Recommends: 'libasound2',
    Description: 'WireGuard client\n Wirefly brings tunnels up.',
    Version: '0.1.0',
    Package: 'wirefly',
    Architecture: 'amd64',
    Maintainer: 'A <a@example.org>',
    Homepage: 'https://example.org',
    Priority: 'optional',
  });
  assert.deepEqual(Object.fromEntries(request.scripts), {
    postinst: '/tmp/0-after-install',
    postrm: '/tmp/1-after-remove',
    prerm: 'packaging/linux/deb/before-remove.sh',
  });
  assert.deepEqual(request.mappings, [
    { source: 'packaging/linux/bin/wirefly', destination: '/usr/bin/wirefly' },
    { source: '/out/linux-unpacked/', destination: '/opt/Wirefly' },
  ]);
});

test('an fpm option the tool does not know, a bad mapping or an unsupported compression is an error, not a guess', () => {
  assert.throws(() => parseFpmArguments([...ELECTRON_BUILDER_ARGS, '--rpm-os', 'linux']), /unknown option --rpm-os/);
  assert.throws(() => parseFpmArguments([...ELECTRON_BUILDER_ARGS, 'relative=usr/bin/x']), /SOURCE=\/DESTINATION/);
  assert.throws(
    () => parseFpmArguments(ELECTRON_BUILDER_ARGS.map((arg) => (arg === 'xz' ? 'bzip2' : arg))),
    /cannot compress with bzip2/,
  );
  assert.throws(
    () => parseFpmArguments(ELECTRON_BUILDER_ARGS.map((arg) => (arg === 'deb' ? 'rpm' : arg))),
    /-s dir -t deb only/,
  );
  const maintainer = ELECTRON_BUILDER_ARGS.indexOf('--maintainer');
  assert.throws(
    () => parseFpmArguments(ELECTRON_BUILDER_ARGS.filter((_, i) => i !== maintainer && i !== maintainer + 1)),
    /Maintainer/,
  );
});

test("a long description is wrapped into Debian's extended description", () => {
  const text = controlDescription(`Summary\n ${'word '.repeat(40)}\n\nSecond paragraph.`);
  const lines = text.split('\n');
  assert.equal(lines[0], 'Summary');
  assert.ok(
    lines.slice(1).every((line) => line.startsWith(' ') && line.length <= 80),
    text,
  );
  assert.ok(lines.includes(' .'), text);
});

test('dist:linux builds deb and tar.gz with dpkg-deb and 7-Zip, AppImage where its tools are, with WIREFLY_ELECTRON_DIST', () => {
  const root = mkdtempSync(join(tmpdir(), 'wirefly-dist-'));
  try {
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', '7zz'), '');
    mkdirSync(join(root, 'electron'));
    const env = { PATH: join(root, 'bin'), WIREFLY_ELECTRON_DIST: join(root, 'electron') };
    const plan = planDistLinux([], root, env);
    assert.ok(typeof plan !== 'string', plan as string);
    assert.deepEqual(plan.args, [
      '--linux',
      'deb',
      'tar.gz',
      '--publish',
      'never',
      `-c.electronDist=${join(root, 'electron')}`,
    ]);
    assert.deepEqual(plan.env, {
      CUSTOM_FPM_PATH: join(root, 'packaging', 'tools', 'fpm'),
      ELECTRON_BUILDER_7ZIP_PATH: join(root, 'bin', '7zz'),
    });
    const withAppImage = planDistLinux(['-c.deb.compression=gz'], root, { ...env, APPIMAGE_TOOLS_PATH: '/tools' });
    assert.ok(typeof withAppImage !== 'string');
    assert.deepEqual(withAppImage.args.slice(0, 4), ['--linux', 'deb', 'tar.gz', 'AppImage']);
    assert.equal(withAppImage.args.at(-1), '-c.deb.compression=gz');
    assert.match(planDistLinux([], root, { PATH: '/nowhere' }) as string, /no 7-Zip/);
    assert.match(
      planDistLinux([], root, { ...env, WIREFLY_ELECTRON_DIST: join(root, 'missing') }) as string,
      /is not a folder/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("npm start finds Electron's binary where npm put it, and says so when it is not there", () => {
  const root = mkdtempSync(join(tmpdir(), 'wirefly-start-'));
  try {
    mkdirSync(join(root, 'node_modules', 'electron', 'dist'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'electron', 'path.txt'), 'electron');
    assert.match((electronBinary(root, {}) as { missing: string }).missing, /dist\/electron is missing/);
    writeFileSync(join(root, 'node_modules', 'electron', 'dist', 'electron'), '');
    assert.deepEqual(electronBinary(root, {}), { path: join(root, 'node_modules', 'electron', 'dist', 'electron') });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the stand-in Electron carries a fuse wire electron-builder can find and flip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-stand-in-'));
  try {
    writeFileSync(join(dir, 'node'), 'ELF...');
    makeStandInElectron(join(dir, 'node'), join(dir, 'electron-dist'), '45.3.4');
    const binary = readFileSync(join(dir, 'electron-dist', 'electron'));
    assert.equal(readFuses(binary), '10110001');
    assert.ok(binary.subarray(0, 6).equals(Buffer.from('ELF...')));
    assert.equal(fuseWire('11').length, 32 + 2 + 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

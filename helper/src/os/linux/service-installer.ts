// The helper as a systemd service on Linux: the package ships the template
// unit wirefly-helper@.service, and a user's instance is enabled and started
// with systemctl (the package's postinst does this for the installing user).
import { CommandFailed, spawnCommand, type CommandRunner } from '../command.js';
import type { ServiceInstaller } from '../service-installer.js';

export function systemdInstance(user: string): string {
  if (!/^\d{1,10}$/.test(user)) throw new Error(`"${user}" is not a numeric uid`);
  return `wirefly-helper@${user}.service`;
}

export function linuxServiceInstaller(run: CommandRunner = spawnCommand): ServiceInstaller {
  return {
    async install({ user, startNow = true }) {
      await run(['systemctl', 'enable', ...(startNow ? ['--now'] : []), systemdInstance(user)]);
    },
    async uninstall({ user }) {
      try {
        await run(['systemctl', 'disable', '--now', systemdInstance(user)]);
      } catch (error) {
        // systemctl's words for an instance of a template that was never installed.
        if (!(error instanceof CommandFailed && /not (be )?found|does not exist/i.test(error.stderr))) throw error;
      }
    },
  };
}

// PreUp/PostUp/PreDown/PostDown, run as wg-quick runs them: through the shell,
// with %i replaced by the interface name, stopping at the first that fails.
import { execFile } from 'node:child_process';

export type ScriptRunner = (commands: readonly string[], interfaceName: string) => Promise<void>;

const SCRIPT_TIMEOUT_MS = 60_000;

function runOne(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: SCRIPT_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`\`${command}\` failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

export const runScripts: ScriptRunner = async (commands, interfaceName) => {
  for (const command of commands) await runOne(command.replaceAll('%i', interfaceName));
};

// What the app offers when the helper is not running, and what Activate will
// do first: one function for both, so the banner and the button never tell a
// person different things.
import type { HelperService, HelperState, WireflyApi } from '../../../app/src/api/wirefly-api.js';

export type HelperChoice = 'install' | 'start';

export interface HelperStartPlan {
  readonly text: string;
  readonly choices: readonly { readonly label: string; readonly choice: HelperChoice }[];
  /** Said beside Activate: what activating does before the tunnel comes up. */
  readonly activateNote?: string;
}

const PASSWORD = 'asks for an administrator password';

export function helperStartPlan(
  helper: HelperState | undefined,
  service: HelperService | undefined,
): HelperStartPlan | undefined {
  switch (helper?.status) {
    case undefined:
    case 'running':
      return undefined;
    case 'starting':
      return { text: 'Starting the Wirefly helper…', choices: [] };
    case 'not-permitted':
      return {
        text: `The Wirefly helper was not permitted to run: ${helper.message}`,
        choices: [{ label: 'Try again', choice: 'start' }],
      };
    case 'incompatible':
      return {
        text: `The running helper is version ${helper.helperVersion}, but this app needs ${helper.appVersion}.`,
        choices: [{ label: 'Restart helper', choice: 'start' }],
      };
    case 'not-running':
      break;
  }
  if (service?.kind === 'installed') {
    return {
      text: 'The Wirefly helper service is installed but not running. Tunnels need it: start it here, or Activate starts it first.',
      choices: [{ label: 'Start the service', choice: 'start' }],
      activateNote: `Activate starts the helper service first; that ${PASSWORD}.`,
    };
  }
  const session = { label: 'Start it for this session', choice: 'start' } as const;
  const activateNote = `Activate starts the helper for this session first; that ${PASSWORD}.`;
  if (service?.kind === 'requires-approval') {
    return {
      text:
        "The Wirefly helper service is installed and waits for your approval: allow Wirefly in System Settings' Login Items, and it starts. " +
        'Until then Activate starts the helper for this session first.',
      choices: [{ label: 'Open Login Items', choice: 'install' }, session],
      activateNote,
    };
  }
  if (service?.kind === 'installable') {
    return {
      text:
        'The Wirefly helper is not running; tunnels need it, and Activate starts it for this session first. As a service it asks for an administrator password once, ' +
        'starts with the computer and connects the tunnels marked to connect at boot; for this session it asks now and after every restart.' +
        (service.reason ? ` It asks for the password because ${service.reason}` : ''),
      choices: [{ label: 'Install the helper service', choice: 'install' }, session],
      activateNote,
    };
  }
  const why = service?.kind === 'unavailable' ? ` It cannot be installed as a service here: ${service.reason}` : '';
  return {
    text: `The Wirefly helper is not running; tunnels need it, and Activate starts it first. Starting it ${PASSWORD}.${why}`,
    choices: [session],
    activateNote,
  };
}

export function runHelperChoice(api: WireflyApi, choice: HelperChoice): Promise<void> {
  return choice === 'install' ? api.installHelperService() : api.startHelper();
}

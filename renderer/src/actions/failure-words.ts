// What went wrong, said for a person: what happened and what to do about it.
// The helper's own words stay available beside this, one click away.

export interface PlainFailure {
  readonly summary: string;
  readonly advice: string;
}

const KNOWN: readonly { readonly pattern: RegExp; readonly failure: PlainFailure }[] = [
  {
    pattern: /helper is not running|ECONNREFUSED|ENOENT.*\.sock|connect ENOENT/i,
    failure: {
      summary: 'The Wirefly helper is not running.',
      advice: 'Start it from the banner at the top, then try again.',
    },
  },
  {
    pattern: /another tunnel named '[^']+'.*different configuration/i,
    failure: {
      summary: 'A different tunnel of the same name is already active on this computer.',
      advice: 'Bring that one down first (where it was started), then activate this one.',
    },
  },
  {
    pattern: /resolv\.conf already holds DNS|only one tunnel at a time can set DNS/i,
    failure: {
      summary: 'Another tunnel already sets this computer’s DNS.',
      advice: 'Deactivate the tunnel that set it, then activate this one.',
    },
  },
  {
    pattern: /route .*File exists|RTNETLINK answers: File exists/i,
    failure: {
      summary: 'A network this tunnel routes is already routed elsewhere on this computer.',
      advice: 'Another tunnel or network interface has a route for the same addresses: bring it down and try again.',
    },
  },
  {
    pattern: /EADDRINUSE|address already in use/i,
    failure: {
      summary: 'The tunnel’s listen port is taken by another program.',
      advice: 'Remove ListenPort from the configuration, or choose another port in the editor.',
    },
  },
  {
    pattern: /ENOTFOUND|EAI_AGAIN|could not resolve|not resolve/i,
    failure: {
      summary: 'The server’s name could not be looked up.',
      advice: 'Check this computer’s internet connection and the Endpoint in the configuration.',
    },
  },
  {
    pattern: /scripts run as root|allowScripts/i,
    failure: {
      summary: 'The configuration runs scripts, which this helper does not allow.',
      advice: 'Remove PreUp, PostUp, PreDown and PostDown in the editor, or ask the administrator to allow scripts.',
    },
  },
  {
    pattern: /not valid|invalid-config/i,
    failure: {
      summary: 'The saved configuration has an error.',
      advice: 'Open the editor: the error is marked at its line.',
    },
  },
  {
    pattern: /password|not permitted|authoriz|dismissed|EACCES|EPERM/i,
    failure: {
      summary: 'Wirefly was not allowed to change the network.',
      advice: 'The administrator password was not given, or this user may not use the helper. Try again.',
    },
  },
];

const UNKNOWN: PlainFailure = {
  summary: 'The tunnel could not be switched.',
  advice: 'The details say what the system answered; the Log tab has everything that happened.',
};

export function plainFailure(detail: string): PlainFailure {
  return KNOWN.find(({ pattern }) => pattern.test(detail))?.failure ?? UNKNOWN;
}

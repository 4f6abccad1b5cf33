// Log lines as wireguard-go writes them, filtered by LOG_LEVEL.
export type LogLevel = 'verbose' | 'error' | 'silent';

export type Logger = (level: 'verbose' | 'error', message: string) => void;

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === 'verbose' || text === 'debug') return 'verbose';
  if (text === 'silent') return 'silent';
  return 'error';
}

export function createLogger(interfaceName: string, level: LogLevel, write: (line: string) => void): Logger {
  return (lineLevel, message) => {
    if (level === 'silent' || (lineLevel === 'verbose' && level !== 'verbose')) return;
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
    write(`${lineLevel === 'verbose' ? 'DEBUG' : 'ERROR'}: (${interfaceName}) ${stamp} ${message}\n`);
  };
}

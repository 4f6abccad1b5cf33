// Where the helper listens unless told otherwise (Linux and macOS; Windows uses a named pipe).
export const DEFAULT_HELPER_SOCKET = '/run/wirefly/helper.sock';

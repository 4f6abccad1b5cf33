// Linux's control endpoint: the Unix sockets of os/unix-control-endpoint.ts under /run.
import { unixControlEndpoint } from '../unix-control-endpoint.js';

export { listenForUser, UAPI_SOCKET_DIRECTORY } from '../unix-control-endpoint.js';

export const linuxControlEndpoint = unixControlEndpoint('linux');

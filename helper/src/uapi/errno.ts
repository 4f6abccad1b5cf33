// The errno values the control socket answers with, as positive numbers
// (UapiError.errno); on the wire they travel negated, as wireguard-go writes them
// and as wg(8) expects ("errno=-22" makes wg print "Invalid argument").
// Linux numbering: this module stays free of node: imports so that pure code can
// throw these. On other systems wg(8) would print a different message for the
// same number, nothing worse.

export const EIO = 5;
export const EINVAL = 22;
/** A request that is not in the protocol's grammar at all. */
export const EPROTO = 71;
export const EMSGSIZE = 90;
export const EADDRINUSE = 98;
/** wireguard-go's answer for a failure that has no errno of its own. */
export const ENOANO = 55;

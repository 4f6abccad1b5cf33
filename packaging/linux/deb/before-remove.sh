#!/bin/sh
# The deb's prerm: before the helper's files go, every helper stops (its
# tunnels come down), and whatever a crashed one left (routes, DNS, nftables)
# is undone from its journal.
set -e
case "$1" in
  remove|upgrade|deconfigure) ;;
  *) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
  for unit in $(systemctl list-units --all --plain --no-legend 'wirefly-helper@*.service' | awk '{print $1}'); do
    systemctl stop "$unit" || true
  done
fi
# Also the helpers no service manager started ("for this session").
/usr/bin/wirefly-helper stop-all || echo "wirefly: stopping the helpers failed; see above" >&2
exit 0

#!/bin/sh
# The deb's postrm. On remove (and purge) nothing of Wirefly stays: the
# services' enablement, the helpers' state (crash journals, the root-only
# copies of the tunnels marked to connect at boot) and their socket directories.
set -e
case "$1" in
  remove|purge) ;;
  *) exit 0 ;;
esac
rm -f /etc/systemd/system/multi-user.target.wants/wirefly-helper@*.service
rm -rf /var/lib/wirefly /run/wirefly
if [ -f '/etc/apparmor.d/${executable}' ]; then
  apparmor_parser --remove '/etc/apparmor.d/${executable}' 2>/dev/null || true
  rm -f '/etc/apparmor.d/${executable}'
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi
exit 0

#!/bin/sh
# The deb's postinst (electron-builder fills in the names). The Chromium
# sandbox, MIME and desktop steps are electron-builder's own; the helper's
# service is ours. No /usr/bin link to the app: /usr/bin/wirefly is the CLI.
set -e
[ "$1" = configure ] || exit 0

# The SUID sandbox only where unprivileged user namespaces do not work.
if [ -e '/opt/${sanitizedProductName}/chrome-sandbox' ]; then
  if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox'
  else
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox'
  fi
fi
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi

# Ubuntu 24's AppArmor confines unprivileged user namespaces unless a profile allows them.
if apparmor_status --enabled >/dev/null 2>&1 && apparmor_parser --skip-kernel-load '/opt/${sanitizedProductName}/resources/apparmor-profile' >/dev/null 2>&1; then
  cp -f '/opt/${sanitizedProductName}/resources/apparmor-profile' '/etc/apparmor.d/${executable}'
  apparmor_parser --replace --write-cache --skip-read-cache '/etc/apparmor.d/${executable}' || true
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  # The helper serves one user: the one who installed the package, where the
  # installer tells (sudo, pkexec); others choose "Install the helper service" in the app.
  user_uid="$SUDO_UID"
  [ -n "$user_uid" ] || user_uid="$PKEXEC_UID"
  case "$user_uid" in
    ''|0|*[!0-9]*) ;;
    *) systemctl enable "wirefly-helper@$user_uid.service" || true ;;
  esac
  # Upgrades: every enabled instance runs the new code.
  for wanted in /etc/systemd/system/multi-user.target.wants/wirefly-helper@*.service; do
    [ -e "$wanted" ] || continue
    systemctl restart "$(basename "$wanted")" || true
  done
else
  echo "wirefly: systemd is not running here, so no helper service was enabled;"
  echo "wirefly: start the helper with: sudo wirefly-helper serve --user UID (or from the app)"
fi
exit 0

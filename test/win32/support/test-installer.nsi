; The least of electron-builder's NSIS installer that Wirefly's hooks meet
; (app-builder-lib/templates/nsis): the defines it passes, the project's
; installer.nsh included at the top level, customInstall inserted in the
; install section once the app's files are in place, customUnInstall in the
; uninstall section before the files go. The app's files are laid out as the
; package lays them out, Windows node.exe standing in for Wirefly.exe.
; makensis -D...: APP_EXECUTABLE_FILENAME, UNINSTALL_FILENAME and PRODUCT_NAME
; as electron-builder names them; INSTALLER_NSH, the hooks; APP_EXECUTABLE,
; the node.exe; ROOT, the checkout (built, with the Windows addons); OUT_FILE.

Unicode true
; electron-builder's stub is x86-unicode; Debian's Wine has no 32-bit loader
; (wine32 is not installed), and the hooks are the same either way.
Target amd64-unicode
; node.exe alone is 80 MB: compressing it would take longer than the test.
SetCompress off
Name "${PRODUCT_NAME}"
OutFile "${OUT_FILE}"
RequestExecutionLevel admin
InstallDir "$PROGRAMFILES64\${PRODUCT_NAME}"

!include "${INSTALLER_NSH}"

!define UNPACKED "$INSTDIR\resources\app.asar.unpacked"

Section "install"
  SetOutPath "$INSTDIR"
  File "/oname=${APP_EXECUTABLE_FILENAME}" "${APP_EXECUTABLE}"
  ; What electron-builder.yml's asarUnpack keeps out of app.asar for the helper.
  SetOutPath "${UNPACKED}"
  File "${ROOT}/package.json"
  SetOutPath "${UNPACKED}\helper\bin"
  File "${ROOT}/helper/bin/wirefly-helper"
  SetOutPath "${UNPACKED}\helper\native\prebuilds\win32-x64"
  File "${ROOT}/helper/native/prebuilds/win32-x64/*.node"
  SetOutPath "${UNPACKED}\dist"
  File /r /x *.map "${ROOT}/dist/helper"
  SetOutPath "${UNPACKED}\node_modules"
  File /r "${ROOT}/node_modules/zod"
  File /r "${ROOT}/node_modules/koffi"
  SetOutPath "${UNPACKED}\node_modules\@noble"
  File /r "${ROOT}/node_modules/@noble/ciphers"
  File /r "${ROOT}/node_modules/@noble/curves"
  File /r "${ROOT}/node_modules/@noble/hashes"
  SetOutPath "${UNPACKED}\node_modules\@koromix"
  File /r "${ROOT}/node_modules/@koromix/koffi-win32-x64"
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\${UNINSTALL_FILENAME}"
  !insertmacro customInstall
SectionEnd

Section "un.Uninstall"
  !insertmacro customUnInstall
  SetOutPath "$TEMP"
  RMDir /r "$INSTDIR"
SectionEnd

; electron-builder's NSIS hooks: the installer registers the helper as a
; LocalSystem service for the user logged on to the session it runs in
; (wirefly-helper install-service --user session, run elevated, in Electron's
; own Node through ELECTRON_RUN_AS_NODE): the session's user, not the
; elevated token's, which is an administrator's when one typed credentials
; over the shoulder. The uninstaller stops and removes every user's service
; first (the app's first run adds them for other users too), each bringing its
; tunnels down, then ProgramData\Wirefly with the boot copies of their
; configs (uninstall-service --all-users). test/win32/nsis.test.ts builds a test
; installer around these hooks and runs it under Wine.
!macro wireflyHelper COMMAND
  System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", t "1")'
  nsExec::ExecToLog '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "$INSTDIR\resources\app.asar.unpacked\helper\bin\wirefly-helper" ${COMMAND}'
  Pop $0
  System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", n)'
!macroend

!macro customInstall
  !insertmacro wireflyHelper "install-service --user session"
  ; The app is installed either way (its first run offers the service again);
  ; a silent install says so in its exit code, as no one sees the message.
  StrCmp $0 "0" +3
    SetErrorLevel 2
    MessageBox MB_ICONEXCLAMATION "The Wirefly helper service could not be installed (exit code $0)." /SD IDOK
!macroend

!macro customUnInstall
  !insertmacro wireflyHelper "uninstall-service --all-users"
!macroend

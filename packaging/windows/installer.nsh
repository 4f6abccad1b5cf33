; electron-builder's NSIS hooks: the installer registers the helper as a
; LocalSystem service for the user who installs (wirefly-helper install-service,
; run elevated, in Electron's own Node through ELECTRON_RUN_AS_NODE); the
; uninstaller stops and removes it first, which brings its tunnels down.
!macro wireflyHelper COMMAND
  System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", t "1")'
  nsExec::ExecToLog '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "$INSTDIR\resources\app.asar.unpacked\helper\bin\wirefly-helper" ${COMMAND}'
  Pop $0
  System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", n)'
!macroend

!macro customInstall
  !insertmacro wireflyHelper "install-service"
  StrCmp $0 "0" +2
    MessageBox MB_ICONEXCLAMATION "The Wirefly helper service could not be installed (exit code $0)."
!macroend

!macro customUnInstall
  !insertmacro wireflyHelper "uninstall-service"
!macroend

# Registers the Wirefly helper as a Windows service running as LocalSystem,
# serving the named pipe for one desktop user. Run elevated:
#   powershell -ExecutionPolicy Bypass -File install-helper-service.ps1 -UserSid S-1-5-21-...
param(
  [Parameter(Mandatory = $true)][string]$UserSid,
  [string]$InstallDir = "$env:ProgramFiles\Wirefly"
)
$ErrorActionPreference = 'Stop'
# serve --user takes a SID on Windows (the pipe's access list names it); this throws on anything else.
$UserSid = ([System.Security.Principal.SecurityIdentifier]::new($UserSid)).Value
$exe = Join-Path $InstallDir 'Wirefly.exe'
$helper = Join-Path $InstallDir 'resources\app.asar.unpacked\helper\bin\wirefly-helper'
$binPath = "`"$exe`" `"$helper`" serve --user $UserSid --socket \\.\pipe\wirefly-helper"
New-Service -Name 'WireflyHelper' -DisplayName 'Wirefly WireGuard helper' -BinaryPathName $binPath -StartupType Automatic
# ELECTRON_RUN_AS_NODE for the service process only.
Set-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\WireflyHelper' -Name 'Environment' -Type MultiString -Value @('ELECTRON_RUN_AS_NODE=1')
sc.exe failure WireflyHelper reset= 60 actions= restart/2000 | Out-Null
Start-Service -Name 'WireflyHelper'

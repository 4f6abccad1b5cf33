# Stops and removes the Wirefly helper service. Run elevated.
$ErrorActionPreference = 'Stop'
if (Get-Service -Name 'WireflyHelper' -ErrorAction SilentlyContinue) {
  Stop-Service -Name 'WireflyHelper'
  sc.exe delete WireflyHelper | Out-Null
}

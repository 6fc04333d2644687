<#
.SYNOPSIS
  ijgate web service client example (Windows PowerShell 5.1 and PowerShell 7).

.DESCRIPTION
  Sends one stoppage (arrêt de travail) over mutual TLS, then polls its state until it
  settles. The client certificate is a PKCS#12 file (.pfx/.p12) or a certificate of the
  user's store (Cert:\CurrentUser\My\<thumbprint>); its identity (DNS SAN or CN) must be an
  [[hr_clients]] name of the ijgate configuration.

  The server certificate must be trusted: import ijgate's CA into "Trusted Root
  Certification Authorities" (certlm.msc), or on PowerShell 7 check it yourself (see
  -SkipCertificateCheck in the comments below; never in production).

.EXAMPLE
  .\ijgate_client.ps1 -Url https://ijgate.example:8443 -Pfx .\client-rh-a.p12 `
      -StoppageFile .\stoppage.json -Until accepted
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Url,
    [string] $Pfx,
    [string] $Thumbprint,
    [Parameter(Mandatory = $true)] [string] $StoppageFile,
    [string] $Until,
    [int] $TimeoutSeconds = 120
)
$ErrorActionPreference = 'Stop'

# States after which nothing more happens without a new message (openapi.json).
$Final = @('accepted', 'test_accepted', 'refused', 'rejected', 'failed', 'cancelled',
           'recorded', 'dsij_fallback', 'documents_requested')

if ($Pfx) {
    $password = Read-Host -AsSecureString "Password of $Pfx (empty if none)"
    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2(
        (Resolve-Path $Pfx).Path, $password)
} elseif ($Thumbprint) {
    $cert = Get-Item "Cert:\CurrentUser\My\$Thumbprint"
} else {
    throw 'Give -Pfx or -Thumbprint'
}
# TLS 1.2 at least (Windows PowerShell 5.1 may default to older protocols).
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

$base = $Url.TrimEnd('/')
# The file is UTF-8 (names with accents); send it as UTF-8 bytes.
$body = [IO.File]::ReadAllText((Resolve-Path $StoppageFile).Path, [Text.Encoding]::UTF8)
$bytes = [Text.Encoding]::UTF8.GetBytes($body)
$stoppage = $body | ConvertFrom-Json

try {
    # PowerShell 7 only, tests against development certificates: add -SkipCertificateCheck.
    $accepted = Invoke-RestMethod -Method Post -Uri "$base/v1/stoppages" -Certificate $cert `
        -ContentType 'application/json; charset=utf-8' -Body $bytes
} catch {
    # 422: every problem is listed (RFC 9457 "errors"); nothing was recorded.
    $details = $_.ErrorDetails.Message
    Write-Error "Refused: $details"
    exit 1
}
Write-Host ("declaration {0}: {1} (revision {2})" -f $accepted.id, $accepted.outcome, $accepted.revision)

$deadline = (Get-Date).AddSeconds($TimeoutSeconds)
$delay = 0.5
$state = $null
while ($true) {
    $d = Invoke-RestMethod -Method Get -Uri "$base/v1/stoppages/$($accepted.id)" -Certificate $cert
    if ($d.state -ne $state) {
        $state = $d.state
        Write-Host "state: $state"
    }
    if (($Until -and $state -eq $Until) -or (-not $Until -and $Final -contains $state)) { break }
    if ($Until -and $Final -contains $state) {
        Write-Error "final state $state reached, not $Until"
        exit 1
    }
    if ((Get-Date) -gt $deadline) {
        Write-Error "timed out in state $state"
        exit 1
    }
    Start-Sleep -Milliseconds ([int]($delay * 1000))
    $delay = [Math]::Min($delay * 2, 10)
}

# The change feed for this HR reference (an HR tool keeps next_cursor between runs and passes
# it back as ?cursor=...).
$ref = [Uri]::EscapeDataString($stoppage.hr_ref)
$page = Invoke-RestMethod -Method Get -Uri "$base/v1/stoppages?hr_ref=$ref&limit=10" -Certificate $cert
foreach ($row in $page.declarations) {
    Write-Host ("listed: {0} {1} {2} {3} late=[{4}]" -f $row.id, $row.hr_ref, $row.event, $row.state, ($row.late -join ','))
}
Write-Host "next_cursor: $($page.next_cursor)"

# Lost notices? Ask for them again (same file names, written to outbound/hr):
#   Invoke-RestMethod -Method Post -Uri "$base/v1/notices:replay" -Certificate $cert `
#       -ContentType 'application/json' -Body (@{ hr_ref = $stoppage.hr_ref } | ConvertTo-Json)
exit 0

# Installs woolink on Windows from its GitHub release: downloads the x86_64 archive, checks it
# against the release's SHA-256 before unpacking anything, and puts woolink.exe (and the
# PowerShell completion script) in %LOCALAPPDATA%\woolink\bin.
#   powershell -ExecutionPolicy Bypass -c "irm https://github.com/woolink/woolink/releases/latest/download/woolink-installer.ps1 | iex"
# Settings (environment): WOOLINK_VERSION=v1.2.3 (default: the latest release),
# WOOLINK_INSTALL_DIR (default: %LOCALAPPDATA%\woolink\bin).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repoUrl = 'https://github.com/woolink/woolink'
$version = if ($env:WOOLINK_VERSION) { $env:WOOLINK_VERSION } else { 'latest' }
$installDir = if ($env:WOOLINK_INSTALL_DIR) { $env:WOOLINK_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'woolink\bin' }

if (-not [Environment]::Is64BitOperatingSystem -or $env:PROCESSOR_ARCHITECTURE -eq 'ARM64') {
    throw 'woolink-installer: release builds are for x86_64 Windows only; build it with: cargo install --locked woolink'
}
$target = 'x86_64-pc-windows-msvc'
$base = if ($version -eq 'latest') { "$repoUrl/releases/latest/download" } else { "$repoUrl/releases/download/$version" }
$archive = "woolink-$target.zip"
$tmp = Join-Path ([IO.Path]::GetTempPath()) ("woolink-install-" + [Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    Write-Host "Downloading $archive ($version)"
    $zip = Join-Path $tmp $archive
    Invoke-WebRequest -UseBasicParsing -Uri "$base/$archive" -OutFile $zip
    $sumFile = Join-Path $tmp "$archive.sha256"
    Invoke-WebRequest -UseBasicParsing -Uri "$base/$archive.sha256" -OutFile $sumFile
    $expected = ((Get-Content -Raw $sumFile).Trim() -split '\s+')[0].ToLowerInvariant()
    $actual = (Get-FileHash -Algorithm SHA256 $zip).Hash.ToLowerInvariant()
    if (-not $expected -or $expected -ne $actual) {
        throw "woolink-installer: checksum mismatch for $archive (expected $expected, got $actual): nothing was installed"
    }
    Expand-Archive -Path $zip -DestinationPath $tmp
    $unpacked = Join-Path $tmp "woolink-$target"
    New-Item -ItemType Directory -Force -Path $installDir | Out-Null
    Copy-Item -Force (Join-Path $unpacked 'woolink.exe') $installDir
    Copy-Item -Force (Join-Path $unpacked 'completions\_woolink.ps1') $installDir
    Write-Host "Installed woolink to $installDir\woolink.exe"
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not (($userPath -split ';') -contains $installDir)) {
        [Environment]::SetEnvironmentVariable('Path', "$installDir;$userPath", 'User')
        Write-Host "Added $installDir to your user PATH; open a new terminal to run 'woolink'."
    }
} finally {
    Remove-Item -Recurse -Force $tmp
}

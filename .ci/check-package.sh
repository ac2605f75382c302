#!/usr/bin/env bash
# Package gates: `dotnet pack` at the root without a warning, the package's contents, SourceLink in the symbol package,
# and the sample server published as a Native AOT executable that serves a CONNECT. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
server_pid=""
http_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-package: $*"; exit 1; }

# 1. The package, from the root, with no warning (package validation and NuGet audit run here too).
dotnet pack -c Release -o "$work/pkg" > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack failed"; }
if grep -E ': warning [A-Z]*[0-9]*|: warning :' "$work/pack.log"; then
  fail "dotnet pack printed warnings"
fi
# check_contents ID ENTRY...: the package ID (the core or the hosting one) was made and holds every ENTRY.
check_contents() {
  local id=$1 nupkg contents entry
  shift
  nupkg=$(ls "$work"/pkg/"$id".[0-9]*.nupkg 2>/dev/null | head -n 1)
  [ -f "$nupkg" ] || fail "no $id package was made"
  contents=$(unzip -Z1 "$nupkg")
  for entry in "$@"; do
    grep -qx "$entry" <<< "$contents" || fail "$(basename "$nupkg") lacks $entry"
  done
  echo "check-package: $(basename "$nupkg") made without warnings ($(wc -c < "$nupkg") bytes)"
}
check_contents Socks5.Protocol README.md lib/net10.0/Socks5.Protocol.dll lib/netstandard2.0/Socks5.Protocol.dll
check_contents Socks5.Protocol.Extensions.Hosting README.md lib/net10.0/Socks5.Protocol.Extensions.Hosting.dll

# 2. SourceLink: each PDB of the symbol package maps its sources to this commit. SourceLink maps only remotes on a known
# host; a clone whose origin is a local folder (as in CI) is checked through a copy whose origin is the project's URL.
commit=$(git rev-parse HEAD)
origin=$(git remote get-url origin 2>/dev/null || true)
packdir="$root"
if [[ ! "$origin" =~ ^https:// ]]; then
  url=$(sed -n 's:.*<RepositoryUrl>\(.*\)</RepositoryUrl>.*:\1:p' Directory.Build.props)
  git clone -q "$root" "$work/clone" || fail "could not clone for the SourceLink check"
  git -C "$work/clone" remote set-url origin "$url"
  packdir="$work/clone"
fi
for project in src/Socks5.Protocol src/Socks5.Protocol.Extensions.Hosting; do
  (cd "$packdir" && dotnet pack "$project" -c Release -o "$work/sym" > "$work/sym.log" 2>&1) || { cat "$work/sym.log"; fail "pack of $project for SourceLink failed"; }
done
for snupkg in "$work"/sym/*.snupkg; do
  mkdir -p "$work/snupkg/$(basename "$snupkg")" && unzip -q -o "$snupkg" -d "$work/snupkg/$(basename "$snupkg")"
done
[ -n "$(find "$work/snupkg" -name 'Socks5.Protocol.pdb')" ] || fail "the core's symbol package holds no PDB"
[ -n "$(find "$work/snupkg" -name 'Socks5.Protocol.Extensions.Hosting.pdb')" ] || fail "the hosting package's symbol package holds no PDB"
pdbs=$(find "$work/snupkg" -name '*.pdb')
for pdb in $pdbs; do
  grep -aq "\"documents\":{.*$commit" "$pdb" || fail "$(basename "$(dirname "$pdb")")/$(basename "$pdb") carries no source link to $commit"
done
echo "check-package: SourceLink maps every PDB to $commit"

# 3. Native AOT: publish the sample server (trim and AOT warnings fail it), run it, send one CONNECT through it with curl.
dotnet publish -c Release -r linux-x64 samples/Socks5.Server -o "$work/aot" > "$work/aot.log" 2>&1 || { cat "$work/aot.log"; fail "AOT publish failed"; }
if grep -E ': warning (IL|AOT)[0-9]+' "$work/aot.log"; then
  fail "the AOT publish printed trim or AOT warnings"
fi
binary="$work/aot/Socks5.Server"
[ -x "$binary" ] || fail "no native executable at $binary"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
socks_port=$(free_port)
http_port=$(free_port)
mkdir -p "$work/www" && echo "hello through the native server" > "$work/www/hello.txt"
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$work/www" > /dev/null 2>&1 &
http_pid=$!
"$binary" --listen "127.0.0.1:$socks_port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$socks_port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && break
  sleep 0.1
done
idle_kib=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
body=$(curl -s --max-time 10 --socks5 "127.0.0.1:$socks_port" "http://127.0.0.1:$http_port/hello.txt")
[ "$body" = "hello through the native server" ] || { cat "$work/server.log"; fail "the CONNECT through the native server returned '$body'"; }
# A short load: 8 clients, 25 requests each, then the peak RSS.
loaders=()
for _ in $(seq 1 8); do
  (for _ in $(seq 1 25); do curl -s --max-time 10 --socks5 "127.0.0.1:$socks_port" "http://127.0.0.1:$http_port/hello.txt" > /dev/null; done) &
  loaders+=($!)
done
wait "${loaders[@]}"
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
echo "check-package: native sample server $(wc -c < "$binary") bytes, RSS $idle_kib KiB idle, peak $peak_kib KiB after 200 CONNECTs from 8 clients; CONNECT through it returned the file"

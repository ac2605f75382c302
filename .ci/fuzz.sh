#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers, the engines and the UDP header: SharpFuzz instruments Socks5.Protocol.dll,
# AFL++ runs each target of tests/Socks5.Protocol.Fuzz from its seed corpus. Fails on any crash (a broken property or
# an exception) or hang.
#   .ci/fuzz.sh                      every target, FUZZ_SECONDS (20) each
#   FUZZ_SECONDS=3600 .ci/fuzz.sh engine-server     one target for an hour
# Findings stay in $FUZZ_WORK/findings/<target>; replay one with
#   dotnet $FUZZ_WORK/replay/Socks5.Protocol.Fuzz.dll <target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
work=${FUZZ_WORK:-/tmp/socks5-fuzz}
project=tests/Socks5.Protocol.Fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire-request wire-reply greeting method-selection userpass-request userpass-reply gssapi udp-header engine-server engine-client socks4-request socks4-reply http-connect http-response engine-socks4-server engine-http-server)

if ! command -v afl-fuzz >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get install -y afl++ >/dev/null || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y afl++ >/dev/null; }
fi

dotnet tool restore >/dev/null
rm -rf "$work"
mkdir -p "$work/findings"
dotnet build "$project" -c Release -o "$work/bin" -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
# An uninstrumented copy replays findings (the instrumented one needs AFL's shared memory).
cp -r "$work/bin" "$work/replay"
# Instrument the library only: coverage of the code under test, not of the harness or the runtime.
dotnet tool run sharpfuzz "$work/bin/Socks5.Protocol.dll" >/dev/null

# dotnet itself is not instrumented (the managed library is), so afl-fuzz must not look for its markers.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
failed=0
printf '%-18s %10s %10s %8s %6s %8s %6s %6s\n' target execs execs/s corpus edges coverage crash hang
for target in "${targets[@]}"; do
  out="$work/findings/$target"
  run() {
    rm -rf "$out"
    afl-fuzz -i "$project/corpus/$target" -o "$out" -t 5000 -m none -V "$seconds" \
      -- dotnet "$work/bin/Socks5.Protocol.Fuzz.dll" "$target" >"$work/$target.log" 2>&1
  }
  # Once, on a CI machine under load, the dry run of a target that fuzzes fine saw no coverage at all ("No
  # instrumentation detected"): that is the harness, not a finding, so it gets one more try. A seed that crashes is a
  # finding and is not retried.
  run || { grep -q "No instrumentation detected" "$work/$target.log" && echo "retrying $target (no coverage seen in the dry run)" && run; } || {
      echo "afl-fuzz failed on $target:"; tail -n 20 "$work/$target.log"; failed=1; continue; }
  stats="$out/default/fuzzer_stats"
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' | wc -l)
  hangs=$(find "$out/default/hangs" -type f -name 'id:*' | wc -l)
  printf '%-18s %10s %10s %8s %6s %8s %6s %6s\n' "$target" "$(get execs_done)" "$(get execs_per_sec)" \
    "$(get corpus_count)" "$(get edges_found)" "$(get bitmap_cvg)" "$crashes" "$hangs"
  if [ "$crashes" -ne 0 ] || [ "$hangs" -ne 0 ]; then
    failed=1
    for f in $(find "$out/default/crashes" "$out/default/hangs" -type f -name 'id:*' | head -n 3); do
      echo "finding $f: $(od -An -tx1 "$f" | tr -d ' \n' | head -c 200)"
      dotnet "$work/replay/Socks5.Protocol.Fuzz.dll" "$target" "$f" 2>&1 | head -n 5 || true
    done
  fi
done
exit $failed

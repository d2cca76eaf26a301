#!/usr/bin/env bash
# verify-deb.sh [BUILD_DIR] — builds RingScope's .deb and checks it in a clean Debian 12 root:
#   1. cpack -G DEB in BUILD_DIR (default build/release, which must be configured and built);
#   2. a minimal Debian 12 root made with debootstrap (kept as a pristine copy under $WORK and
#      copied for each run, so that every run starts clean);
#   3. apt installs the .deb there, resolving its dependencies from the Debian mirror;
#   4. there: ringscope-cli --version, ringscope-cli run on a published fixture (logits compared
#      with the reference to 1e-4), classify with a bundled demo model, the GUI's offscreen
#      smoke test, and the desktop entry, icons, AppStream and MIME files in place;
#   5. apt purges the package and autoremoves its dependencies; the file tree and the package
#      list must then equal the ones before the install (nothing left behind).
# Needs root, debootstrap, and network access to a Debian mirror ($MIRROR, $SECURITY_MIRROR). Prints PASS/FAIL per
# step and exits non-zero on the first failure. $WORK defaults to /var/tmp/ringscope-verify-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${1:-build/release}
WORK=${WORK:-/var/tmp/ringscope-verify-deb}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
FIXTURES=$SRC/tests/data/official
ROOT=$WORK/root

step() { printf '\n== %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
[ -f "$FIXTURES/ringformer_tiny.state_dict.pt" ] || fail "fixtures not found in $FIXTURES"

step "Build the .deb"
(cd "$BUILD" && cpack -G DEB >/dev/null)
DEB=$(ls -t "$BUILD"/ringscope_*.deb | head -1)
[ -f "$DEB" ] || fail "cpack wrote no .deb"
pass "$(basename "$DEB") ($(du -h "$DEB" | cut -f1))"
dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ */    /'

step "Clean Debian 12 root"
mkdir -p "$WORK"
if [ ! -x "$WORK/pristine/usr/bin/apt-get" ]; then
    rm -rf "$WORK/pristine"
    debootstrap --variant=minbase bookworm "$WORK/pristine" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap failed (see $WORK/debootstrap.log)"
fi
cleanup() {
    for m in dev/pts dev proc sys; do mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m"; done
    return 0
}
trap cleanup EXIT
cleanup
rm -rf "$ROOT"
cp -a "$WORK/pristine" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
# What a Debian 12 installation has: the release, its updates and the security archive.
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_root apt-get update -qq >/dev/null
# Up to date, as a maintained installation is (so that the install below adds packages only).
in_root env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq >"$WORK/upgrade.log" 2>&1 ||
    { tail -20 "$WORK/upgrade.log"; fail "apt upgrade in the clean root"; }
pass "$(in_root sh -c '. /etc/os-release; echo $PRETTY_NAME'), $(in_root dpkg-query -W -f='.\n' | wc -l) packages"

# What the root holds: every path outside the volatile places, and the installed packages.
snapshot() {
    in_root find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run \
        -o -path /var/cache -o -path /var/lib/apt/lists -o -path /var/log -o -path /root \
        -o -path /var/lib/dpkg \) -prune -o -print | sort >"$1.files"
    in_root dpkg-query -W -f='${Package} ${Version}\n' | sort >"$1.packages"
}
snapshot "$WORK/before"

step "Install with apt (dependencies from the mirror)"
cp "$DEB" "$ROOT/tmp/ringscope.deb"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/ringscope.deb \
    >"$WORK/install.log" 2>&1 || { tail -20 "$WORK/install.log"; fail "apt could not install the package"; }
added=$(in_root dpkg-query -W -f='.\n' | wc -l)
pass "installed with its dependencies ($added packages now)"

step "ringscope-cli --version"
version=$(in_root ringscope-cli --version) || fail "ringscope-cli --version"
pass "$version"

step "ringscope-cli run on a published fixture"
mkdir -p "$ROOT/tmp/fx"
cp "$FIXTURES/ringformer_tiny.state_dict.pt" "$FIXTURES/ringformer_tiny.input.npy" "$ROOT/tmp/fx/"
in_root ringscope-cli run /tmp/fx/ringformer_tiny.state_dict.pt --input /tmp/fx/ringformer_tiny.input.npy \
    --out /tmp/fx/out --heads "$(python3 -c "import json;print(json.load(open('$FIXTURES/ringformer_tiny.json'))['heads'])" 2>/dev/null || echo 4)" \
    || fail "ringscope-cli run"
python3 - "$ROOT/tmp/fx/out/logits.npy" "$FIXTURES/ringformer_tiny.logits.npy" <<'PY' || fail "logits differ from the reference"
import ast, struct, sys
def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<H", b[8:10])[0] if b[6] == 1 else struct.unpack("<I", b[8:12])[0]
    start = (10 if b[6] == 1 else 12) + n
    h = ast.literal_eval(b[start - n:start].decode())
    code = {"<f4": "f", "<f8": "d"}[h["descr"]]
    count = (len(b) - start) // struct.calcsize(code)
    return h["shape"], struct.unpack("<%d%s" % (count, code), b[start:])
(s1, a), (s2, r) = load(sys.argv[1]), load(sys.argv[2])
assert tuple(s1) == tuple(s2), (s1, s2)
worst = max(abs(x - y) for x, y in zip(a, r))
print("PASS: logits %s, largest difference from the published code's %.2e" % (tuple(s1), worst))
sys.exit(0 if worst < 1e-4 else 1)
PY

step "ringscope-cli classify with a bundled demo model"
in_root ringscope-cli classify /usr/share/ringscope/models/vit.ringscope.pt /usr/share/ringscope/images/sneaker.png --top 1 \
    | tee "$WORK/classify.txt" | sed 's/^/    /'
grep -q "Sneaker" "$WORK/classify.txt" || fail "the demo ViT does not call the sneaker a sneaker"
pass "classify"

step "GUI smoke test (offscreen)"
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/tmp ringscope --smoke-test >"$WORK/smoke.json" 2>"$WORK/smoke.err" \
    || { cat "$WORK/smoke.err"; fail "ringscope --smoke-test"; }
grep -q '"resources":"/usr/share/ringscope"' "$WORK/smoke.json" || fail "the app did not open the installed demo data"
pass "$(cat "$WORK/smoke.json")"

step "Desktop integration files"
for f in /usr/share/applications/io.github.ringscope.RingScope.desktop \
         /usr/share/metainfo/io.github.ringscope.RingScope.metainfo.xml \
         /usr/share/mime/packages/io.github.ringscope.RingScope.xml \
         /usr/share/icons/hicolor/scalable/apps/io.github.ringscope.RingScope.svg \
         /usr/share/icons/hicolor/256x256/apps/io.github.ringscope.RingScope.png \
         /usr/share/doc/ringscope/copyright /usr/share/doc/ringscope/changelog.gz \
         /usr/share/man/man1/ringscope.1.gz /usr/share/man/man1/ringscope-cli.1.gz; do
    [ -f "$ROOT$f" ] || fail "$f missing"
done
pass "desktop entry, AppStream, MIME type, icons, copyright, changelog, manual pages"

step "Remove (purge + autoremove) and compare"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ringscope >"$WORK/remove.log" 2>&1 || fail "apt purge"
in_root env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -q >>"$WORK/remove.log" 2>&1 || fail "apt autoremove"
rm -rf "$ROOT/tmp/fx" "$ROOT/tmp/ringscope.deb"
snapshot "$WORK/after"
if ! diff -u "$WORK/before.packages" "$WORK/after.packages" >"$WORK/packages.diff"; then
    cat "$WORK/packages.diff"; fail "the package list differs after removal"
fi
# apt's and the dependencies' own bookkeeping is not RingScope's: apt records which packages
# were installed automatically (extended_states), and a dependency that adds a system group
# leaves the shadow files' backups (/etc/gshadow- ...), as Debian policy keeps system groups.
bookkeeping='^(/var/lib/apt/extended_states|/etc/(passwd|group|shadow|gshadow|subuid|subgid)-)$'
diff "$WORK/before.files" "$WORK/after.files" | sed -n 's/^[<>] //p' >"$WORK/files.changed" || true
grep -Ev "$bookkeeping" "$WORK/files.changed" >"$WORK/files.left" || true
if [ -s "$WORK/files.left" ]; then
    diff -u "$WORK/before.files" "$WORK/after.files" >"$WORK/files.diff"
    head -40 "$WORK/files.left"; fail "files left behind or removed (see $WORK/files.diff)"
fi
grep -E "$bookkeeping" "$WORK/files.changed" | sed 's/^/    apt and dependency bookkeeping, not RingScope'"'"'s: /' || true
in_root sh -c 'find / -xdev -iname "*ringscope*" -not -path "/proc/*" -not -path "/tmp/*" 2>/dev/null' >"$WORK/leftovers.txt" || true
[ -s "$WORK/leftovers.txt" ] && { cat "$WORK/leftovers.txt"; fail "paths named ringscope remain"; }
pass "$(wc -l <"$WORK/before.files") paths and $(wc -l <"$WORK/before.packages") packages, the same as before the install"
printf '\nAll checks passed.\n'

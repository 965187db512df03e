#!/usr/bin/env bash
# Builds the Debian package: target/debian/mfa-gateway_<version>-<revision>_<arch>.deb (its path
# is printed last). The manual page and shell completions are printed by the binary itself, so
# it is built first (release profile), they are written to target/deb-assets/ (the assets
# [package.metadata.deb] in Cargo.toml lists), then `cargo deb --no-build` packs it all.
# Extra arguments go to `cargo deb` (CI passes --fast: lighter compression, a minute less).
# Needs cargo-deb (`cargo install cargo-deb --locked --version 3.8.0`).
set -euo pipefail
cd "$(dirname "$0")/../.."

# packaging/deb/mfa-gateway.service is docs/mfa-gateway.service with /usr paths (and the two
# directory modes postinst uses): refuse to package one that drifted from the other.
if ! diff <(sed -e 's#/usr/local/#/usr/#g' docs/mfa-gateway.service | grep -v '^#') \
    <(grep -v -e '^#' -e '^StateDirectoryMode=' -e '^LogsDirectoryMode=' packaging/deb/mfa-gateway.service) >&2; then
    echo "build.sh: packaging/deb/mfa-gateway.service differs from docs/mfa-gateway.service beyond its paths; update both" >&2
    exit 1
fi

cargo build --release --bin mfa-gateway
bin="${CARGO_TARGET_DIR:-target}/release/mfa-gateway"

out=target/deb-assets
rm -rf "$out"
mkdir -p "$out"
# gzip -n: no name or time stamp in the header, so the same binary gives the same package.
"$bin" man | gzip -9n > "$out/mfa-gateway.1.gz"
for shell in bash zsh fish; do
    "$bin" completions "$shell" > "$out/mfa-gateway.$shell"
done

# `--no-build`: the binary above is the one packaged. cargo-deb prints the path of each package
# it wrote (the .deb and, with `dbgsym = true`, the -dbgsym.ddeb); the .deb's goes last, for
# scripts: `deb=$(packaging/deb/build.sh | tail -n 1)`.
written=$(cargo deb --no-build "$@")
printf '%s\n' "$written" | grep -v '\.deb$' || true
printf '%s\n' "$written" | grep '\.deb$'

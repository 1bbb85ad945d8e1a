#!/bin/sh
# Makes the two secrets compose.yaml mounts, once: a random PostgreSQL password and a random Ed25519
# signing key (32 bytes, base64). Keep deploy/secrets/ out of version control and backed up safely:
# the signing key signs the audit checkpoints (docs/audit.md).
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
umask 022  # the containers run as other users; the directory (700) keeps the host's other users out
[ -s "$dir/postgres_password" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/postgres_password"
[ -s "$dir/audit_signing_key" ] || head -c 32 /dev/urandom | base64 > "$dir/audit_signing_key"
echo "secrets in $dir"

#!/usr/bin/env bash
# A short scripted walk through the seed's story on a copy of fixtures/clusters/basic.
# (The drill runner replaces this with a bundled drill.)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dlmctl() { echo "\$ dlmctl $*" >&2; "$here/bin/run.js" "$@"; }
export DLMCTL_STATE="$(mktemp -d)/cluster" DLMCTL_CLOCK=2026-01-01T00:00:00Z
cp -r "$here/fixtures/clusters/basic" "$DLMCTL_STATE"
trap 'rm -rf "$(dirname "$DLMCTL_STATE")"' EXIT
step() { printf '\n== %s\n' "$*" >&2; }

step "n2 takes a persistent EX lock on metadata it is changing; n1 a persistent PR elsewhere"
a=$(dlmctl lock request fs1 meta/a --node n2 --mode EX --persistent --json | sed -n 's/.*"lockId": \([0-9]*\).*/\1/p')
dlmctl lock request fs1 meta/b --node n1 --mode PR --persistent
step "n2 dies: its persistent lock stays granted as an orphan; every persistent lock in fs1 is invalid"
dlmctl node mark-dead n2 --yes
step "a survivor's request for meta/a waits behind the orphan"
dlmctl lock request fs1 meta/a --node n1 --mode PR --persistent
dlmctl lock list fs1 --resource 'meta/*'
step "survivors learn of the death through their deadman PR grants"
dlmctl lock list fs1 --resource deadman/n2
step "n1 attaches to recover fs1; then n3 dies too"
id=$(dlmctl domain attach fs1 --node n1 --json | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
dlmctl node mark-dead n3 --yes
step "validate answers MORE_RECOVERY (exit 3) and changes nothing"
dlmctl validate fs1 --id "$id" || echo "(exit $?)" >&2
step "start again: attach, validate"
id=$(dlmctl domain attach fs1 --node n1 --json | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
dlmctl validate fs1 --id "$id"
step "persistent locks valid again, orphan of n2 (lock $a) released, the waiter granted"
dlmctl lock list fs1
dlmctl status
dlmctl check

#!/usr/bin/env bash
# fixture.sh up|down STATE_DIR - the Slurm cluster that the tests of a ctest run share.
# up starts one with slurm.sh in a new directory under /tmp (slurmrestd, once it has dropped
# root, must be able to read the configuration, which a build tree under /root would not
# allow) and records where it is in STATE_DIR/cluster; when this machine cannot run Slurm it
# records the reason in STATE_DIR/unavailable instead and succeeds, so that the tests skip
# and say why. down stops it.
set -euo pipefail
cmd=${1:?usage: fixture.sh up|down STATE_DIR}
state=${2:?usage: fixture.sh up|down STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$state"
case $cmd in
up)
    rm -f "$state/cluster" "$state/unavailable"
    dir=$(mktemp -d /tmp/grid-slurm-XXXXXX)
    rc=0
    bash "$here/slurm.sh" up "$dir" 2 > /dev/null || rc=$?
    if [ "$rc" = 77 ]; then
        cp "$dir/unavailable" "$state/unavailable"
        rm -rf "$dir"
        exit 0
    fi
    [ "$rc" = 0 ] || { echo "slurm.sh up failed (exit $rc); logs in $dir/log" >&2; exit "$rc"; }
    echo "$dir" > "$state/cluster"
    ;;
down)
    [ -s "$state/cluster" ] || exit 0
    bash "$here/slurm.sh" down "$(cat "$state/cluster")"
    rm -f "$state/cluster"
    ;;
*)
    echo "usage: fixture.sh up|down STATE_DIR" >&2
    exit 2
    ;;
esac

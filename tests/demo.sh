#!/usr/bin/env bash
# The Quick start demo: a 2-node cluster on the local provider (a jumphost and two workers,
# each a real sshd on this machine), its info, a command on every node over ssh, a Slurm job
# on it, and destroy.
# Usage: tests/demo.sh [path/to/grid]
set -euo pipefail
grid=$(realpath "${1:-$(dirname "$0")/../build/grid}")
if [ ! -x /usr/sbin/sshd ]; then
    echo "SKIPPED: the local provider needs sshd (apt-get install openssh-server)"
    exit 77
fi

# A private state directory and key, so the demo leaves nothing behind.
work=$(mktemp -d)
export GRID_STATE_DIR="$work/state" GRID_CONFIG="$work/config.toml"
cleanup() {
    local ids
    ids=$("$grid" cluster list -q 2>/dev/null || true)
    [ -z "$ids" ] || "$grid" cluster destroy --yes $ids >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -C grid-demo -f "$work/id_ed25519"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step grid cluster create 8xH100 -n 2 -i id_ed25519.pub
start=$(date +%s%N)
id=$("$grid" cluster create 8xH100 -n 2 -i "$work/id_ed25519.pub" -v)
echo "created $id in $(( ($(date +%s%N) - start) / 1000000 )) ms"

step grid cluster info "$id"
"$grid" cluster info "$id"

# On the local provider each node has its own hostname when grid runs as root (a UTS
# namespace per sshd); $GRID_INSTANCE names the node either way.
remote='echo "$GRID_INSTANCE: hostname $(hostname), $(nvidia-smi -L 2>/dev/null | wc -l) GPUs"'
for node in "$id-jumphost" "$id-0" "$id-1"; do
    step grid ssh "$node" -- "'$remote'"
    "$grid" ssh "$node" -- "$remote"
done

# As root, with Slurm's packages, the cluster runs real Slurm: a job on its workers.
if "$grid" queue nodes --cluster "$id" > /dev/null 2>&1; then
    step grid queue nodes --cluster "$id"
    "$grid" queue nodes --cluster "$id"
    job_cmd='echo "$(hostname): $(nvidia-smi -L | wc -l) GPUs"'
    step grid queue submit --cluster "$id" --gpus 8 --wrap "'$job_cmd'"
    job=$("$grid" queue submit --cluster "$id" --gpus 8 --wrap "$job_cmd")
    echo "$job"
    for _ in $(seq 150); do
        state=$("$grid" queue info "$job" --cluster "$id" -o json | sed -n 's/.*"state": "\([A-Z]*\)".*/\1/p')
        case $state in PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 0.2 ;; *) break ;; esac
    done
    step grid queue list --cluster "$id"
    "$grid" queue list --cluster "$id"
    step grid ssh "$id-jumphost" -- cat "slurm-$job.out"
    "$grid" ssh "$id-jumphost" -- cat "slurm-$job.out"
else
    echo
    echo "(no Slurm in this cluster: see the warning above)"
fi

step grid cluster destroy "$id" --yes
"$grid" cluster destroy "$id" --yes

step grid cluster list
"$grid" cluster list

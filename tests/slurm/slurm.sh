#!/usr/bin/env bash
# A throwaway Slurm 22.05 cluster on this machine, for grid's tests (Debian 12 packages).
#
#   slurm.sh up DIR [NODES]            munged + slurmctld + NODES slurmd (default 2) + slurmrestd
#   slurm.sh down DIR                  cancel jobs, stop what `up` started in DIR, remove DIR
#   slurm.sh token DIR [USER] [SECS]   print a fresh JWT (default root, 86400 s)
#
# Everything (configs, keys, state, logs, pid files) lives under DIR; TCP ports are picked
# at random on 127.0.0.1, so several clusters can run at once. `up` prints `export` lines
# (also in DIR/env.sh) and exits 0; 77 if this machine cannot run it (not root, packages
# missing: the reason is in DIR/unavailable); 1 on any other failure (logs in DIR/log).
# `up` installs nothing. See README.md next to this file.
set -euo pipefail

# The daemons are in /usr/sbin, which a test runner's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
# SLURM_JWT in the caller's environment would switch scontrol & co. to JWT auth.
unset SLURM_JWT

API=v0.0.38            # the newest REST API of Slurm 22.05
GPUS=8 CPUS=64         # per node; fake: see gres.conf and config_overrides below
LIFESPAN=86400         # of the token in env.sh (s)
MARKER=.grid-slurm     # a file in DIR: this DIR was made by slurm.sh, `down` may remove it

log() { echo "slurm.sh: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '4,6s/^# \{0,1\}//p' "$0" >&2; exit 2; }

# ---- processes: only ever the ones recorded under DIR/run -------------------------------------

# pid_of PIDFILE: print the pid if that process is alive and is still the program the file
# is named after (slurmd-node1.pid -> slurmd), so a reused pid is never signalled.
pid_of() {
    local f=$1 prog pid argv0
    prog=$(basename "$f" .pid); prog=${prog%%-*}
    pid=$(cat "$f" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # A zombie has an empty cmdline and counts as gone.
    argv0=$(tr '\0' '\n' 2> /dev/null < "/proc/$pid/cmdline" | head -n1) || return 1
    [ "$(basename -- "${argv0:-none}")" = "$prog" ] && echo "$pid"
}

# Pids of processes that carry this cluster's marker in their environment (set only for the
# daemons we spawn, and inherited by the slurmstepd's that slurmd forks), plus all their
# descendants: whatever of this cluster outlived its daemons (e.g. a job step of a killed slurmd).
marked_pids() {
    local f p line ppid changed=1
    local -A parent=() mine=()
    while read -r f; do
        p=${f#/proc/}; mine[${p%/environ}]=1
    done < <(grep -lxzF "GRID_SLURM_DIR=$DIR" /proc/[0-9]*/environ 2> /dev/null)
    [ ${#mine[@]} -gt 0 ] || return 0
    for f in /proc/[0-9]*/stat; do       # "pid (comm) state ppid ...": comm may hold spaces
        read -r line 2> /dev/null < "$f" || continue
        read -r _ ppid _ <<< "${line##*) }"
        p=${f#/proc/}; parent[${p%/stat}]=$ppid
    done
    while [ $changed = 1 ]; do           # add children until nothing new
        changed=0
        for p in "${!parent[@]}"; do
            if [ -z "${mine[$p]:-}" ] && [ -n "${mine[${parent[$p]}]:-}" ]; then mine[$p]=1; changed=1; fi
        done
    done
    echo "${!mine[@]}"
}

# gone PID...: succeed when none of the pids is a live process (zombies count as gone).
gone() {
    local pid
    for pid in "$@"; do [ -n "$(tr -d '\0' 2> /dev/null < "/proc/$pid/cmdline")" ] && return 1; done
    return 0
}

# stop PIDFILE...: SIGTERM, wait up to 10 s, then SIGKILL; removes the pid files.
stop() {
    local f pid pids=()
    for f in "$@"; do
        [ -e "$f" ] || continue
        if pid=$(pid_of "$f"); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
        rm -f "$f"
    done
    [ ${#pids[@]} = 0 ] && return 0
    for _ in $(seq 100); do gone "${pids[@]}" && return 0; sleep 0.1; done
    for pid in "${pids[@]}"; do
        gone "$pid" || { log "pid $pid ignored SIGTERM for 10 s, killing it"; kill -KILL "$pid" 2>/dev/null || true; }
    done
}

# Stop every daemon of DIR (clients first, so none reconnects), then kill any leftovers.
stop_all() {
    local leftovers
    stop "$DIR/run/slurmrestd.pid" "$DIR"/run/slurmd-*.pid
    stop "$DIR/run/slurmctld.pid"
    stop "$DIR/run/munged.pid"
    leftovers=$(marked_pids)
    if [ -n "$leftovers" ]; then
        log "killing leftover processes of this cluster: $leftovers"
        # shellcheck disable=SC2086  # a list of pids
        kill -KILL $leftovers 2> /dev/null || true
    fi
}

# spawn NAME CMD...: start a daemon in the foreground mode of its own, detached from us (own
# session, stdio on files) so a test runner waiting for our output does not wait for it too.
# The pid goes to DIR/run/NAME.pid before exec, so it is right even if setsid has to fork.
# Returns once that pid runs the program (not yet `sh`), 1 if it exited first.
spawn() {
    local name=$1; shift
    # shellcheck disable=SC2016  # $$, $0 and $@ are the inner shell's
    GRID_SLURM_DIR="$DIR" setsid sh -c 'echo $$ > "$0"; exec "$@"' "$DIR/run/$name.pid" "$@" \
        >> "$DIR/log/$name.out" 2>&1 < /dev/null &
    STARTED+=("$DIR/run/$name.pid")
    for _ in $(seq 100); do pid_of "$DIR/run/$name.pid" > /dev/null && return 0; sleep 0.02; done
    log "$name did not start (see $DIR/log/$name.out)"
    return 1
}

# ---- up -----------------------------------------------------------------------------------------

unavailable() {
    echo "unavailable: $*" >&2
    echo "unavailable: $*" 2> /dev/null > "$DIR/unavailable" || true   # DIR may not be writable
    exit 77
}

need_root() {
    [ "$(id -u)" = 0 ] || unavailable "needs root (slurmctld and slurmd run as root; slurmrestd is started as root and drops to another user)"
}

# have PROG: PROG is an executable file in PATH (`command -v` alone also reports non-executables).
have() {
    local p
    p=$(command -v "$1") && [ -f "$p" ] && [ -x "$p" ]
}

# Every program and plugin the cluster needs, by Debian package; unavailable (77) if one is missing.
check_available() {
    local missing=() pkgs=() prog pkg dir jwt="" rest=""
    need_root
    for prog in munged:munge munge:munge unmunge:munge slurmctld:slurmctld slurmd:slurmd \
                slurmrestd:slurmrestd scontrol:slurm-client sbatch:slurm-client \
                squeue:slurm-client sinfo:slurm-client scancel:slurm-client sdiag:slurm-client; do
        pkg=${prog#*:}; prog=${prog%%:*}
        have "$prog" && continue
        missing+=("$prog"); [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
    done
    # Debian: /usr/lib/<triplet>/slurm-wlm; other layouts are tried so the message stays right.
    for dir in /usr/lib/*/slurm-wlm /usr/lib/slurm-wlm /usr/lib64/slurm /usr/lib/slurm /usr/local/lib/slurm; do
        [ -e "$dir/auth_jwt.so" ] && jwt=$dir
        [ -e "$dir/openapi_v0_0_38.so" ] && rest=$dir
    done
    [ -n "$jwt" ] || { missing+=(auth_jwt.so); pkgs+=(slurm-wlm-jwt-plugin); }
    if [ ${#missing[@]} -gt 0 ]; then
        unavailable "missing ${missing[*]} (apt-get install --no-install-recommends ${pkgs[*]})"
    fi
    [ -n "$rest" ] || unavailable "slurmrestd has no openapi/$API plugin (needs Slurm 22.05 to 23.11, e.g. Debian 12's slurmrestd)"
}

# used_ports: every local TCP port in use on this host (any state, IPv4 and IPv6), read from
# /proc so that neither ss nor netstat is needed.
used_ports() {
    awk 'FNR > 1 { split($2, a, ":"); h = toupper(a[2]); n = 0
                  for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
                  print n }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# pick_ports N: N distinct free ports, at random below the ephemeral range (outgoing
# connections take their local ports from there, and could take ours before we bind them).
pick_ports() {
    local n=$1 lo=10000 hi eph used picked=" " count=0 p
    read -r eph _ < /proc/sys/net/ipv4/ip_local_port_range || eph=32768
    hi=$(( eph - 1 )); [ "$hi" -gt $(( lo + 1000 )) ] || { lo=40000; hi=60000; }
    used=" $(used_ports | tr '\n' ' ') "
    for _ in $(seq 1000); do
        p=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
        [[ $used == *" $p "* || $picked == *" $p "* ]] && continue
        # Something may listen without showing in this namespace's table: ask it directly.
        (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null && continue
        picked+="$p "; count=$(( count + 1 ))
        [ $count -lt "$n" ] || { echo "${picked# }"; return 0; }
    done
    die "found no $n free TCP ports in $lo-$hi"
}

write_config() {
    local host i ctld_port=$1; shift   # then one port per node
    host=$(hostname -s)
    {
        cat <<EOF
# Written by tests/slurm/slurm.sh for one test run; removed by \`slurm.sh down\`.
ClusterName=gridtest
# The controller runs here; the address in () spares a DNS lookup of the host name.
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$1
# Everything runs as root: no slurm-owned directories, and root is the Slurm admin, so
# \`scontrol create/update/delete partition\`, \`scontrol top\` and priorities just work.
SlurmUser=root
SlurmdUser=root
# Our own munged (socket under DIR), so no system munged or /etc/munge/munge.key is needed
# and clusters of different runs do not trust each other. JWT as the alternative
# type is what slurmrestd needs; \`scontrol token\` signs with this key.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$DIR/etc/jwt_hs256.key
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
# Never the default /run/*.pid: at startup slurmctld and slurmd kill the process named in
# their pid file, i.e. another cluster's. (slurm.sh keeps its own record in DIR/run/*.pid.)
SlurmctldPidFile=$DIR/run/own/slurmctld.pid
SlurmdPidFile=$DIR/run/own/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
# No cgroups and no systemd (containers, CI): track job processes by parentage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd: no accounting (sacct, gres/gpu TRES, QOS and associations are not there).
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
# enable_user_top: users (not only admins) may \`scontrol top\` their own jobs.
# batch_sched_delay=0: a submitted job starts ~1 s later (next background pass), not up to 3 s.
SchedulerParameters=enable_user_top,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
# The node hardware below is fake: slurmd reports the configured CPUs and memory as its own.
SlurmdParameters=config_overrides
# A node that was down comes back by itself when its slurmd registers.
ReturnToService=2
# Room for tests of large queues and arrays.
MaxJobCount=200000
MaxArraySize=100001
# Cancelled jobs get SIGKILL 5 s after SIGTERM (default 30), so \`down\` is quick.
KillWait=5
GresTypes=gpu
EOF
        for i in $(seq "$NODES"); do
            echo "NodeName=node$i NodeHostname=$host NodeAddr=127.0.0.1 Port=${!i} CPUs=$CPUS RealMemory=$(( CPUS * 4096 )) Gres=gpu:h100:$GPUS State=UNKNOWN"
        done
        echo "PartitionName=gpu Nodes=ALL Default=YES DefaultTime=60 MaxTime=INFINITE State=UP"
        echo "PartitionName=debug Nodes=ALL DefaultTime=30 MaxTime=120 State=UP"
    } > "$DIR/etc/slurm.conf"
    # slurmd 22.05 drops a gpu without File= ("Removing file-less GPU") and then drains the node
    # (count lower than configured); File= must be a device, so the GPUs are links to /dev/null.
    cat > "$DIR/etc/gres.conf" <<EOF
AutoDetect=off
NodeName=node[1-$NODES] Name=gpu Type=h100 File=$DIR/dev/gpu[0-$(( GPUS - 1 ))]
EOF
    # slurmrestd reads them as an unprivileged user.
    chmod 644 "$DIR/etc/slurm.conf" "$DIR/etc/gres.conf"
}

# Did one of the daemons of this attempt exit because its port was taken meanwhile?
port_clash() {
    grep -qs 'Address already in use' "$DIR"/log/slurm*
}

# wait_until SECS DESC CMD...: poll CMD (which must bound itself) every 0.1 s, at most SECS*10
# times and SECS seconds. Returns 2 at once if a daemon started by this attempt has died.
wait_until() {
    local secs=$1 desc=$2 end f; shift 2
    end=$(( SECONDS + secs ))
    for _ in $(seq $(( secs * 10 ))); do
        "$@" > /dev/null 2>&1 && return 0
        for f in "${STARTED[@]}"; do
            pid_of "$f" > /dev/null || { log "$(basename "$f" .pid) exited while waiting for $desc"; return 2; }
        done
        [ $SECONDS -lt $end ] || break
        sleep 0.1
    done
    log "timed out after $secs s waiting for $desc"
    return 1
}

nodes_idle() {
    [ "$(timeout 5 sinfo -h -N -p gpu -o '%t' | grep -cx idle)" = "$NODES" ]
}

# Has the main scheduler run once? Until then slurmctld uses the built-in batch_sched_delay of
# 3 s (SchedulerParameters are only parsed by the first pass, 3-4 s after it starts), so a job
# submitted earlier stays PENDING with reason None for up to 3 s; afterwards jobs start ~1 s
# after submission.
scheduler_ran() {
    [ "$(timeout 5 sdiag | awk '/^Main schedule/ { m = 1 } m && /Total cycles/ { print $3; exit }')" -ge 1 ]
}

# rest_ping: GET /ping through bash's /dev/tcp, so that curl is not needed either.
rest_ping() {
    local reply
    { exec 3<> "/dev/tcp/127.0.0.1/$REST_PORT"; } 2> /dev/null || return 1
    printf 'GET /slurm/%s/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-SLURM-USER-NAME: root\r\nX-SLURM-USER-TOKEN: %s\r\nConnection: close\r\n\r\n' \
        "$API" "$TOKEN" >&3
    reply=$(timeout 3 cat <&3) || true
    exec 3<&-
    [[ $reply == "HTTP/1.1 200"* && $reply == *'"UP"'* ]]
}

# One attempt to start the Slurm daemons on fresh ports: 0 ready, 2 a port was taken, 1 other.
start_slurm() {
    local attempt=$1 ports node_ports i rest_user
    read -r -a ports <<< "$(pick_ports $(( NODES + 2 )))"
    [ ${#ports[@]} = $(( NODES + 2 )) ] || return 1
    CTLD_PORT=${ports[0]} REST_PORT=${ports[1]} node_ports=("${ports[@]:2}")
    write_config "$CTLD_PORT" "${node_ports[@]}"
    # Nothing from a failed attempt, except its logs (kept aside, out of port_clash's sight).
    rm -rf "$DIR"/state/* "$DIR"/spool/*
    if [ "$attempt" -gt 1 ]; then
        mkdir -p "$DIR/log/attempt$(( attempt - 1 ))"
        mv "$DIR"/log/slurm* "$DIR/log/attempt$(( attempt - 1 ))/" 2> /dev/null || true
    fi
    for i in $(seq "$NODES"); do mkdir -p "$DIR/spool/node$i"; done

    # A daemon that exits early returns 2: port_clash tells whether its port was taken.
    spawn slurmctld slurmctld -D -f "$SLURM_CONF" || return 2
    wait_until 30 "slurmctld" sh -c 'timeout 5 scontrol ping | grep -q "is UP"' || return
    for i in $(seq "$NODES"); do spawn "slurmd-node$i" slurmd -D -f "$SLURM_CONF" -N "node$i" || return 2; done
    # Fresh state and ReturnToService=2: the nodes go idle as soon as they register (< 1 s).
    wait_until 30 "$NODES idle nodes" nodes_idle || return

    # slurmrestd exits if run as root; as root it opens its socket and then switches to -u.
    # SLURM_JWT=daemon and rest_auth/jwt: each request authenticates with the
    # X-SLURM-USER-NAME/-TOKEN headers. Only the openapi/v0.0.3x plugins: the default also
    # loads dbv0.0.3x, which need slurmdbd and make slurmrestd exit without one.
    rest_user=$(id -u slurm > /dev/null 2>&1 && echo slurm || echo nobody)
    TOKEN=$(timeout 10 scontrol token username=root lifespan=$LIFESPAN) && TOKEN=${TOKEN#SLURM_JWT=}
    [ -n "$TOKEN" ] || { log "scontrol token failed"; return 1; }
    spawn slurmrestd env SLURM_JWT=daemon slurmrestd -f "$SLURM_CONF" -u "$rest_user" -a rest_auth/jwt \
        -s openapi/$API,openapi/v0.0.37,openapi/v0.0.36 "127.0.0.1:$REST_PORT" || return 2
    wait_until 30 "slurmrestd" rest_ping || return
    wait_until 10 "the first scheduling pass" scheduler_ran || return
}

up() {
    local t0 rc attempt
    t0=$(date +%s%N)
    # Refuse a directory that has other things in it: `down` removes DIR.
    mkdir -p "$DIR" 2> /dev/null || { need_root; die "cannot create $DIR"; }
    DIR=$(cd "$DIR" && pwd)
    if [ -n "$(ls -A "$DIR")" ] && [ ! -e "$DIR/$MARKER" ]; then
        die "$DIR is not empty and was not made by slurm.sh; give a new or empty directory"
    fi
    touch "$DIR/$MARKER"
    check_available
    for f in "$DIR"/run/*.pid; do
        if pid_of "$f" > /dev/null; then die "a cluster is already running in $DIR (slurm.sh down $DIR)"; fi
    done
    # Leftovers of an earlier cluster in this DIR (never anything else, see the marker).
    find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf {} +

    # The non-root slurmrestd must reach slurm.conf: every directory above DIR needs o+x.
    mkdir -p "$DIR"/{etc,munge,run/own,log,state,spool,dev}
    chmod 755 "$DIR" "$DIR/etc" "$DIR/run" "$DIR/log" "$DIR/munge"   # munged insists on 755 for its socket dir
    if ! runuser -u "$(id -u slurm > /dev/null 2>&1 && echo slurm || echo nobody)" -- test -x "$DIR/etc"; then
        die "$DIR is not reachable by an unprivileged user (a parent directory lacks o+x); slurmrestd needs to read $DIR/etc/slurm.conf"
    fi
    export SLURM_CONF="$DIR/etc/slurm.conf"
    STARTED=()
    trap 'rc=$?; if [ $rc != 0 ] && [ $rc != 77 ]; then stop_all; log "up failed; logs are in $DIR/log"; fi' EXIT

    # Keys: random per cluster. The JWT key is only read by slurmctld (root).
    head -c 1024 /dev/urandom > "$DIR/etc/munge.key"; chmod 400 "$DIR/etc/munge.key"
    head -c 32 /dev/urandom > "$DIR/etc/jwt_hs256.key"; chmod 600 "$DIR/etc/jwt_hs256.key"
    for i in $(seq 0 $(( GPUS - 1 ))); do ln -s /dev/null "$DIR/dev/gpu$i"; done
    cd "$DIR"

    # munged: --force, because it runs as root and would otherwise refuse to.
    spawn munged munged --foreground --force --socket="$DIR/munge/munge.socket" \
        --key-file="$DIR/etc/munge.key" --pid-file="$DIR/run/own/munged.pid" \
        --seed-file="$DIR/etc/munged.seed" || die "munged did not start"
    wait_until 10 munged sh -c "timeout 5 munge -n -S '$DIR/munge/munge.socket' | timeout 5 unmunge -S '$DIR/munge/munge.socket'" ||
        die "munged did not start"

    # The ports were free when picked, but another cluster starting at the same moment may
    # bind one first: then start again on new ports.
    for attempt in 1 2 3 4 5; do
        STARTED=("$DIR/run/munged.pid")
        rc=0; start_slurm $attempt || rc=$?
        [ $rc = 0 ] && break
        if [ $rc = 2 ] && port_clash && [ $attempt -lt 5 ]; then
            log "a port was taken meanwhile; retrying with other ports"
            stop "$DIR/run/slurmrestd.pid" "$DIR"/run/slurmd-*.pid "$DIR/run/slurmctld.pid"
            continue
        fi
        tail -n 5 "$DIR"/log/*.out >&2 2> /dev/null || true   # -D: a daemon's whole log is in its .out too
        exit 1
    done

    {
        printf 'export SLURM_CONF=%q\n' "$SLURM_CONF"
        printf 'export SLURMRESTD_URL=%q\n' "http://127.0.0.1:$REST_PORT"
        printf 'export SLURMRESTD_API_VERSION=%q\n' "$API"
        printf 'export SLURMRESTD_USER=root\n'
        printf 'export SLURMRESTD_TOKEN=%q\n' "$TOKEN"
    } > "$DIR/env.sh"
    cat "$DIR/env.sh"
    log "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $NODES nodes, slurmctld on 127.0.0.1:$CTLD_PORT, slurmrestd on 127.0.0.1:$REST_PORT (DIR=$DIR)"
}

# ---- down ---------------------------------------------------------------------------------------

down() {
    local state end
    [ -d "$DIR" ] || return 0
    DIR=$(cd "$DIR" && pwd)
    [ -e "$DIR/$MARKER" ] || die "$DIR was not made by slurm.sh; not touching it"
    export SLURM_CONF="$DIR/etc/slurm.conf"
    # Cancel jobs while slurmctld and slurmd still run, so their job steps end with them.
    # Pending first, so that none starts meanwhile; as root, every user's jobs.
    if pid_of "$DIR/run/slurmctld.pid" > /dev/null; then
        for state in PENDING RUNNING SUSPENDED; do
            timeout 20 scancel --state=$state 2> /dev/null || true
        done
        # Up to 10 s (KillWait=5) for running jobs to end; longer only if a slurmd is gone,
        # and then its job steps are killed below anyway.
        end=$(( SECONDS + 10 ))
        for _ in $(seq 100); do
            [ -z "$(timeout 5 squeue -h -t R,S,CG -o %A 2> /dev/null)" ] && break
            [ $SECONDS -lt $end ] || break
            sleep 0.1
        done
    fi
    stop_all
    rm -rf "$DIR"
}

# ---- token --------------------------------------------------------------------------------------

token() {
    local user=${1:-root} lifespan=${2:-$LIFESPAN} tok
    [ -f "$DIR/etc/slurm.conf" ] || die "no cluster in $DIR"
    tok=$(SLURM_CONF="$DIR/etc/slurm.conf" timeout 10 scontrol token username="$user" lifespan="$lifespan") ||
        die "scontrol token failed (is the cluster in $DIR up?)"
    echo "${tok#SLURM_JWT=}"
}

[ $# -ge 2 ] || usage
cmd=$1 DIR=$2; shift 2
[ -n "$DIR" ] || usage
case $cmd in
    up)    [ $# -le 1 ] || usage
           NODES=${1:-2}
           [[ $NODES =~ ^[1-9][0-9]*$ ]] || die "NODES must be a positive number, not '$NODES'"
           up ;;
    down)  [ $# = 0 ] || usage; down ;;
    token) [ $# -le 2 ] || usage; token "$@" ;;
    *)     usage ;;
esac

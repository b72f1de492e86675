#!/usr/bin/env bash
# Data-parallel training across two "hosts": two network namespaces joined by a veth pair
# (10.77.0.1 ↔ 10.77.0.2), one MPI rank in each, talking TCP over the veth only. Open MPI
# starts the remote rank through `ip netns exec` (plm_rsh_agent) where a real cluster uses ssh.
# It trains the same run on one host (mpirun -np 2 over loopback) and prints both weight
# digests: they must be equal.
#
#   sudo scripts/two-hosts.sh [backprop binary] [extra train options…]
#
# Needs root (ip netns), iproute2 (installed with apt-get when missing) and Open MPI.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/backprop}
shift || true
[ -x "$binary" ] || { echo "two-hosts.sh: $binary not built (swift build -c release --product backprop)" >&2; exit 1; }
binary=$(readlink -f "$binary")
[ "$(id -u)" = 0 ] || { echo "two-hosts.sh: needs root for ip netns" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "two-hosts.sh: mpirun not found (apt-get install openmpi-bin libopenmpi3)" >&2; exit 1; }
if ! command -v ip >/dev/null; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; fi

a=bp-host-a b=bp-host-b
work=$(mktemp -d)
cleanup() { ip netns del $a 2>/dev/null || true; ip netns del $b 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cleanup; work=$(mktemp -d)

# Two namespaces, a cable between them, loopback up in each.
ip netns add $a
ip netns add $b
ip link add veth-a type veth peer name veth-b
ip link set veth-a netns $a
ip link set veth-b netns $b
ip -n $a addr add 10.77.0.1/24 dev veth-a
ip -n $b addr add 10.77.0.2/24 dev veth-b
for ns in $a $b; do ip -n $ns link set lo up; done
ip -n $a link set veth-a up
ip -n $b link set veth-b up
echo "network: $a 10.77.0.1 <-> $b 10.77.0.2 (veth pair; each namespace sees only its own end and lo)"

# The "ssh" of this cluster: `agent HOST COMMAND…` runs COMMAND in HOST's namespace.
cat > "$work/netns-agent" <<AGENT
#!/usr/bin/env bash
host=\$1; shift
case \$host in 10.77.0.1) ns=$a ;; 10.77.0.2) ns=$b ;; *) echo "netns-agent: unknown host \$host" >&2; exit 1 ;; esac
exec ip netns exec \$ns /bin/sh -c "\$*"
AGENT
chmod +x "$work/netns-agent"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > "$work/hostfile"

mpi=(--allow-run-as-root -np 2 --hostfile "$work/hostfile" --map-by node --mca plm_rsh_agent "$work/netns-agent"
     --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 -x PATH)
echo "where the ranks run:"
ip netns exec $a mpirun "${mpi[@]}" /bin/sh -c \
  'echo "  rank $OMPI_COMM_WORLD_RANK: namespace $(ip netns identify $$), address $(ip -o -4 addr show dev $(ls /sys/class/net | grep veth) | grep -o "10\.77\.0\.[0-9]*")"' | sort

# The same row blocks on both (the default differs: one block where the ranks sum in shared
# memory, 4 over MPI_Iallreduce, and OpenBLAS may give a block's product other last bits).
train=(train --distributed --epochs 3 --seed 7 --batch-size 32 --quiet --json --gradient-blocks 4 "$@")
summary() { python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["weights_digest"], "test accuracy %.4f" % o["test_accuracy"], "%d samples/s" % o["samples_per_second"], "gradients summed by " + o.get("reduction", "?"))'; }

echo "one host, 2 ranks over loopback:"
single=$(mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl self,tcp "$binary" "${train[@]}" | summary)
echo "  $single"

echo "two hosts (namespaces), 1 rank each, TCP over the veth:"
cat "$work/hostfile" | sed 's/^/  hostfile: /'
two=$(ip netns exec $a mpirun "${mpi[@]}" "$binary" "${train[@]}" | summary)
echo "  $two"
if [ "${single%% *}" = "${two%% *}" ]; then
  echo "same weights: digest ${two%% *} on one host and across two"
else
  echo "DIFFERENT weights: ${single%% *} vs ${two%% *}" >&2
  exit 1
fi

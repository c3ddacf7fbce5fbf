# shellcheck shell=bash
# Sourced: the network namespace a leg's dockerd runs in (DFOPT_E2E_NETNS).
#
# A dockerd owns docker0 and a set of iptables chains in its namespace; two of
# them in one namespace break each other's networking. In a namespace of its
# own each daemon has its own docker0 and rules, and RUN steps still reach the
# package mirrors through one veth pair:
#
#   host  <NET>.1/30  dfo-<leg>-h  ══ veth ══  dfo-<leg>-n  <NET>.2/30  netns
#
# with IP forwarding, two FORWARD ACCEPT rules and one MASQUERADE rule for the
# /30 on the host, each tagged with the comment "dfopt-e2e:<netns>" so that
# netns_stop removes exactly what netns_start added. The /30 must overlap no
# host address or route (checked). The daemon's loopback is the namespace's:
# the fixture servers (servers.sh) run inside it too.
#   netns_start   creates it (idempotent)
#   netns_stop    removes it and its host rules (safe to call any time)
#   netns_exec CMD...   runs CMD in it (or plainly when DFOPT_E2E_NETNS is empty)

# Interface names follow the namespace's name (at most 15 bytes), so a second
# run with a namespace of its own (DFOPT_E2E_NETNS, DFOPT_E2E_NETNS_NET and
# DFOPT_E2E_ROOT set) can run beside a leg's daemon.
_netns_if_stem() {
  local name=${DFOPT_E2E_NETNS#dfopt-}
  printf 'dfo-%s' "${name:0:9}"
}
_netns_host_if() { printf '%s-h' "$(_netns_if_stem)"; }
_netns_ns_if() { printf '%s-n' "$(_netns_if_stem)"; }
_netns_comment() { printf 'dfopt-e2e:%s' "$DFOPT_E2E_NETNS"; }

# "<a.b.c>.<d+n>" for the /30 base address DFOPT_E2E_NETNS_NET.
_netns_addr() {
  local base=$DFOPT_E2E_NETNS_NET
  printf '%s.%s' "${base%.*}" "$((${base##*.} + $1))"
}

# The MTU of the host's default route device (1400 on these VMs), so that
# nothing bigger than the uplink carries leaves the namespace.
netns_uplink_mtu() {
  local dev
  dev=$(ip route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  [[ -n $dev ]] && cat "/sys/class/net/$dev/mtu" 2>/dev/null
}

_netns_iptables_rules() {
  local net=$DFOPT_E2E_NETNS_NET/30 comment
  comment=$(_netns_comment)
  printf '%s\n' \
    "filter FORWARD -s $net -m comment --comment $comment -j ACCEPT" \
    "filter FORWARD -d $net -m comment --comment $comment -j ACCEPT" \
    "nat POSTROUTING -s $net ! -d $net -m comment --comment $comment -j MASQUERADE"
}

# Adds (-I, at the top of the chain, once) or deletes (-D, every copy) the
# host rules.
_netns_iptables() {
  local action=$1 table chain rest
  local -a rule
  while read -r table chain rest; do
    read -r -a rule <<<"$rest"
    if [[ $action == -I ]]; then
      iptables -w -t "$table" -C "$chain" "${rule[@]}" 2>/dev/null ||
        iptables -w -t "$table" -I "$chain" 1 "${rule[@]}"
    else
      while iptables -w -t "$table" -D "$chain" "${rule[@]}" 2>/dev/null; do :; done
    fi
  done < <(_netns_iptables_rules)
}

# Not `ip netns exec`: that also remounts /sys for the namespace, which hides
# the host's cgroup mounts below /sys/fs/cgroup, and dockerd needs them.
netns_exec() {
  if [[ -n $DFOPT_E2E_NETNS ]]; then
    nsenter --net="/run/netns/$DFOPT_E2E_NETNS" -- "$@"
  else
    "$@"
  fi
}

netns_start() {
  [[ -n $DFOPT_E2E_NETNS ]] || return 0
  local host_if ns_if mtu host_addr ns_addr
  host_if=$(_netns_host_if)
  ns_if=$(_netns_ns_if)
  host_addr=$(_netns_addr 1)
  ns_addr=$(_netns_addr 2)
  if ip netns list | grep -qw "^$DFOPT_E2E_NETNS" && ip link show "$host_if" >/dev/null 2>&1; then
    _netns_iptables -I
    return 0
  fi
  netns_stop
  # The /30 must be free on the host: no route but the default one may
  # cover its addresses.
  local addr
  for addr in "$host_addr" "$ns_addr"; do
    if ip -4 route show match "$addr" | grep -qv '^default'; then
      e2e_die "network namespace: ${DFOPT_E2E_NETNS_NET}/30 overlaps a host route ($(ip -4 route show match "$addr" | grep -v '^default' | head -n 1)); set DFOPT_E2E_NETNS_NET"
    fi
  done
  mtu=$(netns_uplink_mtu) || mtu=1500
  ip netns add "$DFOPT_E2E_NETNS"
  ip link add "$host_if" mtu "${mtu:-1500}" type veth peer name "$ns_if" mtu "${mtu:-1500}"
  ip link set "$ns_if" netns "$DFOPT_E2E_NETNS"
  ip addr add "$host_addr/30" dev "$host_if"
  ip link set "$host_if" up
  ip netns exec "$DFOPT_E2E_NETNS" ip link set lo up
  ip netns exec "$DFOPT_E2E_NETNS" ip addr add "$ns_addr/30" dev "$ns_if"
  ip netns exec "$DFOPT_E2E_NETNS" ip link set "$ns_if" up
  ip netns exec "$DFOPT_E2E_NETNS" ip route add default via "$host_addr"
  sysctl -q -w net.ipv4.ip_forward=1
  _netns_iptables -I
  e2e_log "network namespace $DFOPT_E2E_NETNS up ($ns_addr/30 via $host_addr, mtu ${mtu:-1500})"
}

netns_stop() {
  [[ -n $DFOPT_E2E_NETNS ]] || return 0
  _netns_iptables -D
  ip link del "$(_netns_host_if)" 2>/dev/null || true
  if ip netns list | grep -qw "^$DFOPT_E2E_NETNS"; then
    ip netns del "$DFOPT_E2E_NETNS" 2>/dev/null || true
  fi
  return 0
}

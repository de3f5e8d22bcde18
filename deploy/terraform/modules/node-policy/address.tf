# Node addresses, derived exactly as hoshino derives them (src/Hoshino.Core/Addressing/NodeAddress.cs)
# and spelled exactly as .NET's IPAddress.ToString() spells them: that text is the node's S3 key
# segment, so one character of difference would point a policy at someone else's inbox.
#
#   address = the /64 prefix + the first 16 hex digits of the machine-id as interface identifier
#
# HCL has no user-defined functions, so each step is a map over everything it applies to. The
# module takes a map of nodes rather than one node because Terraform's cost is per module instance
# (measured: 535 instances of a one-node version took 45 s to apply; the same 535 nodes in nine
# instances, 2.5 s). Every step is total (try/can); errors are reported by the preconditions
# in outputs.tf, one message naming each bad input.

locals {
  # --- parse: IPv6 text -> 8 sixteen-bit words ---------------------------------------------------
  # Keys: "prefix" for network_prefix, "node:NAME" for a node given by address.
  ip_text = merge(
    { prefix = lower(split("/", var.network_prefix)[0]) },
    { for name, node in var.nodes : "node:${name}" => lower(trimspace(node.address)) if node.address != null },
  )

  # A dotted IPv4 tail ("::ffff:1.2.3.4", or how .NET prints ISATAP identifiers) becomes two hex
  # groups, so the rest only deals with hex.
  ip_last = { for k, t in local.ip_text : k => split(":", t)[length(split(":", t)) - 1] }
  ip_octets = {
    for k, t in local.ip_text : k => try([for o in split(".", local.ip_last[k]) : parseint(o, 10)], [])
    if strcontains(t, ".")
  }
  ip_octets_ok = {
    for k, o in local.ip_octets : k => (
      can(regex("^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$", local.ip_last[k]))
      && length(o) == 4 && alltrue([for x in o : x <= 255])
    )
  }
  ip_hex_text = {
    for k, t in local.ip_text : k => (
      !contains(keys(local.ip_octets), k) ? t
      : !local.ip_octets_ok[k] ? "invalid"
      : format("%s%x:%x", trimsuffix(t, local.ip_last[k]),
      local.ip_octets[k][0] * 256 + local.ip_octets[k][1], local.ip_octets[k][2] * 256 + local.ip_octets[k][3])
    )
  }

  # "a:b::c" -> the explicit groups [a, b] and [c], with as many zero groups between them as make
  # eight; "::" stands for at least one.
  ip_halves = { for k, t in local.ip_hex_text : k => [for h in split("::", t) : h == "" ? [] : split(":", h)] }
  ip_groups = {
    for k, h in local.ip_halves : k => (
      length(h) == 1 ? h[0]
      : length(h) == 2 && length(h[0]) + length(h[1]) <= 7 ? concat(h[0], [for i in range(8 - length(h[0]) - length(h[1])) : "0"], h[1])
      : []
    )
  }
  ip_valid = {
    for k, g in local.ip_groups : k => length(g) == 8 && alltrue([for x in g : can(regex("^[0-9a-f]{1,4}$", x))])
  }
  ip_words = {
    for k, g in local.ip_groups : k => local.ip_valid[k] ? [for x in g : parseint(x, 16)] : [0, 0, 0, 0, 0, 0, 0, 0]
  }
  prefix_words = slice(local.ip_words.prefix, 0, 4)

  # --- derive: prefix + interface identifier -----------------------------------------------------
  interface_id_words = {
    for name, node in var.nodes : name => (
      node.machine_id != null
      ? [for i in range(4) : parseint(substr(lower(trimspace(node.machine_id)), i * 4, 4), 16)]
      : try(slice(local.ip_words["node:${name}"], 4, 8), [0, 0, 0, 0])
    )
  }
  words = { for name, iid in local.interface_id_words : name => concat(local.prefix_words, iid) }

  # --- format: RFC 5952 text, as .NET writes it --------------------------------------------------
  # .NET writes the last 32 bits as dotted IPv4 for IPv4-compatible (::a.b.c.d, but not ::1),
  # IPv4-mapped (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d) and ISATAP (x:x:x:x:0:5efe:a.b.c.d)
  # addresses, and then compresses only among the first six words. Under a ULA prefix only ISATAP
  # can occur (an interface identifier starting 0000:5efe), but all four are mirrored.
  embeds_ipv4 = {
    for name, w in local.words : name => (
      (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[6] != 0 && (
        (w[4] == 0 && (w[5] == 0 || w[5] == 65535)) || (w[4] == 65535 && w[5] == 0)
      ))
      || (w[4] == 0 && w[5] == 24318) # 0x5efe
    )
  }
  hex_word_count = { for name, e in local.embeds_ipv4 : name => e ? 6 : 8 }
  hex_words      = { for name, w in local.words : name => [for i in range(local.hex_word_count[name]) : format("%x", w[i])] }

  # zero_run[i] = how many zero words start at word i. The longest run of two or more becomes "::";
  # on a tie the first wins.
  zero_run = {
    for name, w in local.words : name => [
      for i in range(local.hex_word_count[name]) : max([
        for n in range(local.hex_word_count[name] - i + 1) : n if alltrue([for j in range(i, i + n) : w[j] == 0])
      ]...)
    ]
  }
  longest_zero_run = { for name, runs in local.zero_run : name => max(runs...) }
  hex_part = {
    for name, runs in local.zero_run : name => (
      local.longest_zero_run[name] < 2 ? join(":", local.hex_words[name]) : format("%s::%s",
        join(":", slice(local.hex_words[name], 0, index(runs, local.longest_zero_run[name]))),
        join(":", slice(local.hex_words[name], index(runs, local.longest_zero_run[name]) + local.longest_zero_run[name], local.hex_word_count[name])),
      )
    )
  }
  addresses = {
    for name, w in local.words : name => (
      !local.embeds_ipv4[name] ? local.hex_part[name] : format("%s%s%d.%d.%d.%d",
        local.hex_part[name], endswith(local.hex_part[name], "::") ? "" : ":",
      floor(w[6] / 256), w[6] % 256, floor(w[7] / 256), w[7] % 256)
    )
  }

  # --- checks (reported by the preconditions in outputs.tf) ---------------------------------------
  prefix_errors = compact([
    local.ip_valid.prefix ? "" : "network_prefix '${var.network_prefix}' is not a valid IPv6 /64",
    alltrue([for x in slice(local.ip_words.prefix, 4, 8) : x == 0]) ? "" : "network_prefix '${var.network_prefix}' has host bits set (its last 64 bits must be zero)",
  ])
  node_messages = {
    for name, node in var.nodes : name => compact([
      (node.machine_id == null) == (node.address == null) ? "give exactly one of machine_id and address" : "",
      node.address == null || try(local.ip_valid["node:${name}"], false) ? "" : "address '${coalesce(node.address, "-")}' is not a valid IPv6 address",
      !try(local.ip_valid["node:${name}"], false) || try(slice(local.ip_words["node:${name}"], 0, 4) == local.prefix_words, false) ? "" : "address '${coalesce(node.address, "-")}' is not inside network_prefix ${var.network_prefix}",
      !(node.machine_id != null || try(local.ip_valid["node:${name}"], false)) || !alltrue([for x in local.interface_id_words[name] : x == 0]) ? "" : (
        node.machine_id != null
        ? "the machine-id starts with 16 zeros (run systemd-machine-id-setup, or give address)"
        : "the all-zero interface identifier is the subnet-router anycast address, not a node"
      ),
    ])
  }
  node_errors = flatten([for name, messages in local.node_messages : [for message in messages : "node '${name}': ${message}"]])

  # Two nodes with one address (a cloned machine-id) would share one inbox and one name in every
  # policy: refuse, naming both. Only among nodes whose address is otherwise fine.
  names_by_address = { for name, address in local.addresses : address => name... if length(local.node_messages[name]) == 0 }
  duplicate_errors = [
    for address, names in local.names_by_address :
    "nodes ${join(", ", [for n in names : "'${n}'"])} have the same address ${address} (a cloned machine-id? run systemd-machine-id-setup on all but one, or give address)"
    if length(names) > 1 && length(local.prefix_errors) == 0
  ]
  missing_errors = [for name in var.required_nodes : "node '${name}' is not in nodes" if !contains(keys(var.nodes), name)]

  errors = concat(local.prefix_errors, local.missing_errors, local.node_errors, local.duplicate_errors)
}

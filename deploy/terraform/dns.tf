# Optional: a Route 53 private hosted zone with an AAAA record per node (variable private_zone).
# The addresses come from modules/node-policy, the one place Terraform derives them exactly as
# hoshino does; a bad node (no machine-id or address, a clone) stops the plan with its message.

locals {
  zone       = var.private_zone
  zone_nodes = var.private_zone == null ? {} : var.private_zone.nodes
}

module "zone_addresses" {
  count  = local.zone == null ? 0 : 1
  source = "./modules/node-policy"

  bucket         = var.bucket_name
  key_prefix     = var.key_prefix
  network_prefix = local.zone.network_prefix
  nodes          = local.zone_nodes
}

resource "aws_route53_zone" "private" {
  count = local.zone == null ? 0 : 1

  name    = local.zone.name
  comment = "Hoshino nodes: NAME.${local.zone.name} AAAA, one record per node"
  tags    = var.tags

  dynamic "vpc" {
    for_each = toset(local.zone.vpc_ids)
    content {
      vpc_id = vpc.value
    }
  }
}

resource "aws_route53_record" "node" {
  for_each = local.zone_nodes

  zone_id = aws_route53_zone.private[0].zone_id
  name    = "${each.key}.${local.zone.name}"
  type    = "AAAA"
  ttl     = local.zone.ttl
  records = [module.zone_addresses[0].nodes[each.key].address]
}

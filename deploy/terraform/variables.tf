variable "bucket_name" {
  description = "Name of the bucket to create. Bucket names are global across AWS: include something of your own (account, project)."
  type        = string

  validation {
    # Also what hoshino --store accepts, so the name works in s3://BUCKET/KEYPREFIX.
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "key_prefix" {
  description = "Key prefix of the network inside the bucket (the KEYPREFIX of s3://BUCKET/KEYPREFIX); \"\" uses the whole bucket. Normalised as hoshino does: \"net1\", \"/net1/\" and \"net1/\" all mean \"net1/\"."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()/-]*$", var.key_prefix))
    error_message = "key_prefix may only contain letters, digits and ! _ . ' ( ) / - (no * ? $: they are wildcards or variables in IAM policies)."
  }
}

variable "expiration_days" {
  description = "Days after which objects under the key prefix are deleted. Receivers delete what they deliver and drop bundles older than a minute, so this only sweeps up after nodes that went away; 1 is the smallest S3 allows."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.expiration_days >= 1 && floor(var.expiration_days) == var.expiration_days
    error_message = "expiration_days must be a whole number, at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket even when objects are left in it (in-flight bundles: nothing of lasting value)."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "private_zone" {
  description = <<-EOT
    Optional (null: none): a Route 53 private hosted zone, e.g. "hoshino", with an AAAA record
    NAME.ZONE per node, so machines in the given VPCs resolve nodes by name through the VPC
    resolver. Nodes are given as to modules/node (machine_id or address); their names become DNS
    labels, so each must be one (lower-case letters, digits, '-'). The TTL matches the node's own
    responder (30 s). The zone answers inside the VPCs only; each node's own responder (hoshino up
    --dns) answers on the node itself.
  EOT
  type = object({
    name           = optional(string, "hoshino")
    vpc_ids        = list(string)
    network_prefix = optional(string, "fd5e:59b8:f71d:9a3e::/64")
    ttl            = optional(number, 30)
    nodes = map(object({
      machine_id = optional(string)
      address    = optional(string)
    }))
  })
  default = null

  validation {
    condition     = var.private_zone == null || try(length(var.private_zone.vpc_ids) > 0, false)
    error_message = "private_zone.vpc_ids must name at least one VPC: a private hosted zone answers only inside the VPCs it is associated with."
  }

  validation {
    condition     = var.private_zone == null || try(can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.private_zone.name)), false)
    error_message = "private_zone.name must be a domain of lower-case DNS labels without a trailing dot, such as hoshino or hoshino.internal (the same as hoshino up --dns-domain)."
  }

  validation {
    condition     = var.private_zone == null || try(alltrue([for name in keys(var.private_zone.nodes) : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", name))]), false)
    error_message = "Every key of private_zone.nodes must be a DNS label (1-63 lower-case letters, digits and '-', no '-' first or last): it becomes NAME in NAME.ZONE."
  }

  validation {
    condition     = var.private_zone == null || try(var.private_zone.ttl >= 1 && floor(var.private_zone.ttl) == var.private_zone.ttl, false)
    error_message = "private_zone.ttl must be a whole number of seconds, at least 1."
  }
}

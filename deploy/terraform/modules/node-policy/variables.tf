variable "bucket" {
  description = "Name of the bucket that carries the network."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-'), as hoshino --store expects."
  }
}

variable "key_prefix" {
  description = "Key prefix of the network inside the bucket (the KEYPREFIX of s3://BUCKET/KEYPREFIX). Leading and trailing slashes are normalised as hoshino does: \"net1\", \"/net1/\" and \"net1/\" all mean \"net1/\"; \"\" is the whole bucket."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # No IAM wildcards (*, ?) or policy variables ($): the prefix is pasted into policy resources.
    condition     = can(regex("^[A-Za-z0-9!_.'()/-]*$", var.key_prefix))
    error_message = "key_prefix may only contain letters, digits and ! _ . ' ( ) / - (no * ? $: they are wildcards or variables in IAM policies)."
  }
}

variable "network_prefix" {
  description = "The network's /64, exactly as given to hoshino --prefix."
  type        = string
  default     = "fd5e:59b8:f71d:9a3e::/64"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9A-Fa-f:.]+/64$", var.network_prefix))
    error_message = "network_prefix must be an IPv6 /64 such as fd5e:59b8:f71d:9a3e::/64 (hoshino supports only /64)."
  }
}

variable "nodes" {
  description = "The nodes, by name. Each gives its /etc/machine-id (hoshino takes the first 16 hex digits as interface identifier) or its address inside network_prefix (as for hoshino --address; any valid spelling, made canonical), not both."
  type = map(object({
    machine_id = optional(string)
    address    = optional(string)
  }))
  nullable = false

  validation {
    condition = alltrue([
      for node in values(var.nodes) : node.machine_id == null || can(regex("^[0-9A-Fa-f]{16,}$", trimspace(coalesce(node.machine_id, "-"))))
    ])
    error_message = "Each machine_id must be hex digits (normally the 32 of /etc/machine-id), at least 16 of them."
  }

  validation {
    condition = alltrue([
      for node in values(var.nodes) : node.address == null || can(regex("^[0-9A-Fa-f:.]+$", trimspace(coalesce(node.address, "-"))))
    ])
    error_message = "Each address must be an IPv6 address such as fd5e:59b8:f71d:9a3e::10 (no zone, no prefix length)."
  }
}

variable "partition" {
  description = "AWS partition for ARNs: aws, aws-cn or aws-us-gov."
  type        = string
  default     = "aws"
  nullable    = false

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}

variable "region" {
  description = "The bucket's region, written into the node's environment as HOSHINO_S3_REGION. Null leaves it out (hoshino then uses AWS_REGION, else us-east-1)."
  type        = string
  default     = null
}

variable "attachment" {
  description = "How the policies will be attached, which sets the longest document IAM takes (characters, whitespace not counted): \"managed\" (a managed policy, 6,144), \"role-inline\" (a role's inline policies together, 10,240), \"user-inline\" (a user's inline policies together, 2,048), or \"none\" (no check, e.g. for a bucket policy, where 20 KB holds the statements of all nodes together). Each policy names every node, so this limits the nodes per network."
  type        = string
  default     = "managed"
  nullable    = false

  validation {
    condition     = contains(["managed", "role-inline", "user-inline", "none"], var.attachment)
    error_message = "attachment must be \"managed\", \"role-inline\", \"user-inline\" or \"none\"."
  }
}

variable "required_nodes" {
  description = "Names that must be keys of nodes; a missing one is reported with the other input errors (modules/node passes its own name)."
  type        = list(string)
  default     = []
  nullable    = false
}

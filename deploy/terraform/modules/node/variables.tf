variable "name" {
  description = "The node's name: its key in nodes, and used for its IAM user or role, policy and instance profile (prefixed with name_prefix) and in the hoshino.env header."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,56}$", var.name))
    error_message = "name must be 1-56 of the characters IAM allows in names: letters, digits and + = , . @ _ -."
  }
}

variable "name_prefix" {
  description = "Prepended to name for IAM resources, so one account can hold several networks."
  type        = string
  default     = "hoshino-"
  nullable    = false
}

variable "bucket" {
  description = "Name of the network's bucket (output bucket_name of the root module)."
  type        = string
}

variable "key_prefix" {
  description = "The network's key prefix (output key_prefix of the root module)."
  type        = string
  default     = ""
  nullable    = false
}

variable "region" {
  description = "The bucket's region (output region of the root module); written into hoshino.env as HOSHINO_S3_REGION. Null leaves it out."
  type        = string
  default     = null
}

variable "network_prefix" {
  description = "The network's /64, as given to hoshino --prefix."
  type        = string
  default     = "fd5e:59b8:f71d:9a3e::/64"
  nullable    = false
}

variable "nodes" {
  description = "Every node of the network, this one included (under name), each by its /etc/machine-id or by its address inside network_prefix (any spelling), as in modules/node-policy: the node's policy names each node's inbox and doorbell exactly, so pass the same map to every node's module and apply them all when it changes."
  type = map(object({
    machine_id = optional(string)
    address    = optional(string)
  }))
  nullable = false
}

variable "identity" {
  description = "\"user\": an IAM user with an access key, for machines outside AWS. \"role\": an IAM role with an EC2 instance profile; credentials then come from instance metadata."
  type        = string
  default     = "user"
  nullable    = false

  validation {
    condition     = contains(["user", "role"], var.identity)
    error_message = "identity must be \"user\" or \"role\"."
  }
}

variable "iam_path" {
  description = "IAM path for the user or role and instance profile."
  type        = string
  default     = "/hoshino/"
  nullable    = false
}

variable "permissions_boundary" {
  description = "ARN of a policy to set as the permissions boundary of the user or role, if your organisation requires one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the IAM resources."
  type        = map(string)
  default     = {}
  nullable    = false
}

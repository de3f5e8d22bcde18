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

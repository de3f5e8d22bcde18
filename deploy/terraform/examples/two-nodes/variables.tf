variable "region" {
  description = "AWS region for the bucket."
  type        = string
  default     = "eu-west-1"
}

variable "bucket_name" {
  description = "A globally unique bucket name, e.g. hoshino-<account id>-net1."
  type        = string
}

variable "laptop_machine_id" {
  description = "The laptop's /etc/machine-id (cat /etc/machine-id on it)."
  type        = string
}

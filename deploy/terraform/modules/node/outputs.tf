output "address" {
  description = "The node's address, as `hoshino address` prints it."
  value       = local.node.address
}

output "inbox_prefix" {
  description = "The key prefix the node lists: {key_prefix}{address}/."
  value       = local.node.inbox_prefix
}

output "policy_json" {
  description = "The node's identity policy document."
  value       = local.node.policy_json
}

output "user_name" {
  description = "The IAM user's name (identity \"user\"), else null."
  value       = local.user ? aws_iam_user.this[0].name : null
}

output "role_arn" {
  description = "The IAM role's ARN (identity \"role\"), else null."
  value       = local.role ? aws_iam_role.this[0].arn : null
}

output "instance_profile_name" {
  description = "The instance profile to launch the node's EC2 instance with (identity \"role\"), else null."
  value       = local.role ? aws_iam_instance_profile.this[0].name : null
}

output "credentials" {
  description = "The access key (identity \"user\"): { access_key_id, secret_access_key }; null for \"role\" (instance metadata provides credentials)."
  sensitive   = true
  value = local.user ? {
    access_key_id     = aws_iam_access_key.this[0].id
    secret_access_key = aws_iam_access_key.this[0].secret
  } : null
}

output "hoshino_env" {
  description = "A ready /etc/hoshino/hoshino.env for the systemd unit: store, prefix, address, region and, for identity \"user\", the access key."
  sensitive   = true
  value       = local.hoshino_env
}

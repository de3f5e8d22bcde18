# The outputs that depend on the nodes carry the same precondition, so a bad input stops any
# configuration using this module with one message naming every problem.

output "nodes" {
  description = <<-EOT
    Per node name:
      address      canonical text, byte for byte what `hoshino address` prints and what the node
                   uses in S3 keys
      inbox_prefix {key_prefix}{address}/, the prefix the node lists
      policy       the identity policy as an object; policy_json is the same document as JSON,
                   for aws_iam_policy or aws_iam_role_policy; policy_length is its length as
                   IAM counts it (characters, no whitespace)
      environment  hoshino.env settings without credentials: HOSHINO_STORE, HOSHINO_PREFIX,
                   HOSHINO_ADDRESS and, when region is set, HOSHINO_S3_REGION; env_file is the
                   same as KEY=value lines for systemd's EnvironmentFile=
  EOT
  value = {
    for name, address in local.addresses : name => {
      address       = address
      inbox_prefix  = local.inboxes[name]
      policy        = local.policies[name]
      policy_json   = jsonencode(local.policies[name])
      policy_length = local.policy_lengths[name]
      environment   = local.environments[name]
      env_file      = local.env_files[name]
    }
  }

  precondition {
    condition     = length(concat(local.errors, local.policy_errors)) == 0
    error_message = "hoshino node-policy: ${join("; ", concat(local.errors, local.policy_errors))}."
  }
}

output "key_prefix" {
  description = "The normalised key prefix: \"\" or ending in \"/\"."
  value       = local.key_prefix
}

output "store_uri" {
  description = "The --store value (HOSHINO_STORE): s3://BUCKET or s3://BUCKET/KEYPREFIX/."
  value       = local.store_uri
}

output "ec2_assume_role_policy_json" {
  description = "Trust policy (JSON) that lets EC2 assume a node's role through an instance profile."
  value       = jsonencode(local.ec2_assume_role_policy)
}

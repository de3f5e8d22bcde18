# One Hoshino node's identity: an IAM user with an access key, or a role with an EC2 instance
# profile, allowed exactly what the node does in the bucket. The address and the policy come from
# ../node-policy (no provider), which the tests render and enforce offline.

data "aws_partition" "current" {}

module "policy" {
  source = "../node-policy"

  bucket         = var.bucket
  key_prefix     = var.key_prefix
  network_prefix = var.network_prefix
  partition      = data.aws_partition.current.partition
  region         = var.region
  nodes          = var.nodes
  required_nodes = [var.name]
  # A user's policy is a managed policy: a user's inline policies may hold only 2,048 characters
  # together, too few for the per-node resources of more than a handful of nodes.
  attachment = local.user ? "managed" : "role-inline"
}

locals {
  node     = module.policy.nodes[var.name]
  iam_name = "${var.name_prefix}${var.name}"
  user     = var.identity == "user"
  role     = var.identity == "role"
}

# --- identity "user" --------------------------------------------------------------------------

resource "aws_iam_user" "this" {
  count = local.user ? 1 : 0

  name                 = local.iam_name
  path                 = var.iam_path
  permissions_boundary = var.permissions_boundary
  tags                 = merge(var.tags, { "hoshino:address" = local.node.address })
}

# Managed, not inline, though it means nothing for any other principal: IAM takes 2,048
# characters of inline policy per user, 6,144 per managed policy, and the policy names every node
# of the network. It is this node's alone and goes when the node goes.
resource "aws_iam_policy" "this" {
  count = local.user ? 1 : 0

  name        = local.iam_name
  path        = var.iam_path
  description = "Hoshino node ${var.name}: send into each node's inbox as itself, receive from its own."
  policy      = local.node.policy_json
  tags        = merge(var.tags, { "hoshino:address" = local.node.address })
}

resource "aws_iam_user_policy_attachment" "this" {
  count = local.user ? 1 : 0

  user       = aws_iam_user.this[0].name
  policy_arn = aws_iam_policy.this[0].arn
}

# The secret ends up in the Terraform state: keep the state encrypted and access-controlled
# (e.g. an S3 backend with SSE and a narrow bucket policy), or use identity = "role" on EC2.
resource "aws_iam_access_key" "this" {
  count = local.user ? 1 : 0

  user = aws_iam_user.this[0].name
}

# --- identity "role" (EC2) ------------------------------------------------------------------

resource "aws_iam_role" "this" {
  count = local.role ? 1 : 0

  name                 = local.iam_name
  path                 = var.iam_path
  assume_role_policy   = module.policy.ec2_assume_role_policy_json
  permissions_boundary = var.permissions_boundary
  tags                 = merge(var.tags, { "hoshino:address" = local.node.address })
}

# Inline: a role's inline policies may hold 10,240 characters together, more than a managed policy.
resource "aws_iam_role_policy" "this" {
  count = local.role ? 1 : 0

  name   = "hoshino-node"
  role   = aws_iam_role.this[0].id
  policy = local.node.policy_json
}

resource "aws_iam_instance_profile" "this" {
  count = local.role ? 1 : 0

  name = local.iam_name
  path = var.iam_path
  role = aws_iam_role.this[0].name
  tags = var.tags
}

# --- hoshino.env ------------------------------------------------------------------------------

locals {
  credentials = local.user ? tomap({
    AWS_ACCESS_KEY_ID     = aws_iam_access_key.this[0].id
    AWS_SECRET_ACCESS_KEY = aws_iam_access_key.this[0].secret
  }) : tomap({})

  # EnvironmentFile= syntax: KEY=value lines and # comments; no value has spaces or quotes.
  hoshino_env = join("", concat(
    [
      "# hoshino.env for node ${var.name} (${local.node.address}), written by Terraform.\n",
      "# Install as /etc/hoshino/hoshino.env, owner root, mode 0600${local.user ? ": it holds a secret key" : ""}.\n",
      local.node.env_file,
    ],
    [for key, value in local.credentials : "${key}=${value}\n"],
  ))
}

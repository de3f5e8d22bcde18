# Each node's identity policy: exactly what hoshino does, on exactly its own names.
#
#   key layout: {key_prefix}{dest}/{src}/{ULID}   (docs/wire-format.md)
#               {key_prefix}{dest}/doorbell       (rung by any node, HEADed by dest)
#
# Object actions are granted on object ARNs (bucket/key) and the bucket action on the bucket ARN:
# an object action on the bucket ARN, or ListBucket on bucket/*, silently grants nothing (the
# prototype's lesson).

locals {
  key_prefix = trim(var.key_prefix, "/") == "" ? "" : "${trim(var.key_prefix, "/")}/"
  bucket_arn = "arn:${var.partition}:s3:::${var.bucket}"
  store_uri  = local.key_prefix == "" ? "s3://${var.bucket}" : "s3://${var.bucket}/${local.key_prefix}"
  inboxes    = { for name, address in local.addresses : name => "${local.key_prefix}${address}/" }

  policies = {
    for name, address in local.addresses : name => {
      Version = "2012-10-17"
      Statement = [
        {
          # Egress: PUT a bundle into any node's inbox, but only with this node as the sender.
          # Receivers trust the {src} segment of the key (and check every packet's source against
          # it), so this statement is what stops one node from speaking as another.
          Sid      = "SendAsSelfIntoAnyInbox"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = ["${local.bucket_arn}/${local.key_prefix}*/${address}/*"]
        },
        {
          # Doorbell: PUT {key_prefix}{dest}/doorbell to wake an idle node, which polls with a HEAD
          # of that one key (s3:GetObject, granted below on its own inbox) instead of a LIST. The
          # body says nothing the receiver acts on, so any node may ring any doorbell: the worst a
          # hostile node can do is make the receiver LIST more often. The '*' also spans '/', so
          # {key_prefix}x/y/doorbell is writable too; in an inbox that is a bad key, which the
          # receiver rejects and deletes. A HEAD of a doorbell nobody rang (or that the lifecycle
          # rule expired) is answered 403, not 404: no statement grants an unconditional ListBucket.
          Sid      = "RingAnyDoorbell"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = ["${local.bucket_arn}/${local.key_prefix}*/doorbell"]
        },
        {
          # Ingress and the start-up probe: ListObjectsV2 with Prefix exactly the own inbox. Any
          # other prefix (another inbox, the whole bucket, the inbox without its trailing "/",
          # which would also match fd00::10 for fd00::1) is refused: a node cannot see who talks
          # to whom.
          Sid       = "ListOwnInbox"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.bucket_arn]
          Condition = { StringEquals = { "s3:prefix" = [local.inboxes[name]] } }
        },
        {
          # Ingress: GET what was listed, then delete it (DeleteObjects is authorised per key, as
          # s3:DeleteObject). Only in the own inbox.
          Sid      = "ReceiveFromOwnInbox"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:DeleteObject"]
          Resource = ["${local.bucket_arn}/${local.inboxes[name]}*"]
        },
      ]
    }
  }

  # For an EC2 instance profile: only EC2 may assume a node's role (EC2's principal carries the
  # partition's DNS suffix in the China regions).
  ec2_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Ec2AssumesNodeRole"
        Effect    = "Allow"
        Action    = ["sts:AssumeRole"]
        Principal = { Service = var.partition == "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com" }
      },
    ]
  }

  # What the systemd unit needs besides credentials. The address is pinned rather than derived
  # again on the machine: the policy is bound to this exact address, so the node must not come up
  # under another one (a changed machine-id, a cloned disk) and find itself denied.
  environments = {
    for name, address in local.addresses : name => merge(
      {
        HOSHINO_STORE   = local.store_uri
        HOSHINO_PREFIX  = var.network_prefix
        HOSHINO_ADDRESS = address
      },
      var.region == null ? {} : { HOSHINO_S3_REGION = var.region },
    )
  }

  # The same as KEY=value lines (systemd EnvironmentFile= syntax), in a fixed order.
  env_files = {
    for name, env in local.environments : name => join("", [
      for key in ["HOSHINO_STORE", "HOSHINO_PREFIX", "HOSHINO_ADDRESS", "HOSHINO_S3_REGION"] : "${key}=${env[key]}\n"
      if contains(keys(env), key)
    ])
  }
}

# Each node's identity policy: exactly what hoshino does, on exactly its own names.
#
#   key layout: {key_prefix}{dest}/{src}/{ULID}   (docs/wire-format.md)
#               {key_prefix}{dest}/doorbell       (rung by any node, HEADed by dest)
#               {key_prefix}directory/{node}      (the node's peer directory record)
#
# Object actions are granted on object ARNs (bucket/key) and the bucket action on the bucket ARN:
# an object action on the bucket ARN, or ListBucket on bucket/*, silently grants nothing (the
# prototype's lesson).

locals {
  key_prefix = trim(var.key_prefix, "/") == "" ? "" : "${trim(var.key_prefix, "/")}/"
  bucket_arn = "arn:${var.partition}:s3:::${var.bucket}"
  store_uri  = local.key_prefix == "" ? "s3://${var.bucket}" : "s3://${var.bucket}/${local.key_prefix}"
  inboxes    = { for name, address in local.addresses : name => "${local.key_prefix}${address}/" }
  directory  = "${local.key_prefix}directory/"

  # Every node's address, once, in a fixed order: each policy names exactly these inboxes and
  # doorbells, so a node can write nowhere but into the inbox of a node of this network.
  peer_addresses = sort(distinct(values(local.addresses)))

  policies = {
    for name, address in local.addresses : name => {
      Version = "2012-10-17"
      Statement = [
        {
          # Egress: PUT a bundle into each node's inbox (its own included: the address lease is
          # {self}/{self}/lease), but only with this node as the sender. Receivers trust the {src}
          # segment of the key (and check every packet's source against it), so this statement is
          # what stops one node from speaking as another. One exact resource per node rather than
          # "*" in the first segment: no key outside the inboxes, which nobody would ever list,
          # read or delete (it would stay until the lifecycle rule, and be billed until then).
          Sid      = "SendAsSelfIntoEachInbox"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = [for peer in local.peer_addresses : "${local.bucket_arn}/${local.key_prefix}${peer}/${address}/*"]
        },
        {
          # Doorbell: PUT {key_prefix}{dest}/doorbell to wake an idle node, which polls with a HEAD
          # of that one key (s3:GetObject, granted below on its own inbox) instead of a LIST. The
          # body says nothing the receiver acts on, so any node may ring any node's doorbell (its
          # own too: it creates it when a HEAD finds none): the worst a hostile node can do is make
          # the receiver LIST more often. Exact keys, no wildcard. A HEAD of a doorbell nobody rang
          # (or that the lifecycle rule expired) is answered 403, not 404: no statement grants an
          # unconditional ListBucket.
          Sid      = "RingEachDoorbell"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = [for peer in local.peer_addresses : "${local.bucket_arn}/${local.key_prefix}${peer}/doorbell"]
        },
        {
          # Ingress and the start-up probe: ListObjectsV2 with Prefix exactly the own inbox; and
          # the peer directory, whose records name only nodes and addresses. Any other prefix
          # (another inbox, the whole bucket, the inbox without its trailing "/", which would also
          # match fd00::10 for fd00::1) is refused: a node cannot see who talks to whom.
          Sid       = "ListOwnInbox"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.bucket_arn]
          Condition = { StringEquals = { "s3:prefix" = [local.inboxes[name], local.directory] } }
        },
        {
          # Ingress: GET what was listed, then delete it (DeleteObjects is authorised per key, as
          # s3:DeleteObject). Only in the own inbox.
          Sid      = "ReceiveFromOwnInbox"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:DeleteObject"]
          Resource = ["${local.bucket_arn}/${local.inboxes[name]}*"]
        },
        {
          # The peer directory: a node writes (renews) and on a clean stop deletes its own record,
          # whose key is derived from its address, never from its free-form name: so no node can
          # publish a record under another node's address, whatever name it states.
          Sid      = "PublishOwnRecord"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = ["${local.bucket_arn}/${local.directory}${address}"]
        },
        {
          # ... and reads every node's record (listed with ListOwnInbox's second prefix).
          Sid      = "ReadDirectory"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.bucket_arn}/${local.directory}*"]
        },
        # What a PUT may ask for besides its key and body. hoshino sends none of these headers, so
        # each Deny applies only when the header is present: a negated operator alone
        # (StringNotEquals, with or without IfExists) is true for an absent key and would deny
        # every PUT hoshino makes. "Present" is StringLike "*" (false for an absent key, true for
        # any value) rather than the usual Null = false, which means the same on AWS but which
        # Ceph RGW 16 evaluates as "absent" whatever its value, denying every PUT there.
        {
          # Another storage class would bill the bucket's owner minimum durations and sizes
          # (the IA classes), or make the object unreadable for the receiver until restored
          # (GLACIER, DEEP_ARCHIVE): a node could blind another by writing into its inbox.
          Sid      = "DenyStorageClassOtherThanStandard"
          Effect   = "Deny"
          Action   = ["s3:PutObject"]
          Resource = ["${local.bucket_arn}/*"]
          Condition = {
            StringNotEquals = { "s3:x-amz-storage-class" = ["STANDARD"] }
            StringLike      = { "s3:x-amz-storage-class" = ["*"] }
          }
        },
        {
          # The bucket's default (SSE-S3) or nothing: SSE-KMS would cost a KMS request for every
          # PUT and for every GET of the receiver, and a key the receiver may not use would make
          # the object unreadable for it.
          Sid      = "DenyEncryptionOtherThanSseS3"
          Effect   = "Deny"
          Action   = ["s3:PutObject"]
          Resource = ["${local.bucket_arn}/*"]
          Condition = {
            StringNotEquals = { "s3:x-amz-server-side-encryption" = ["AES256"] }
            StringLike      = { "s3:x-amz-server-side-encryption" = ["*"] }
          }
        },
        {
          # SSE-C: an object encrypted with a key only the writer knows is unreadable for the
          # receiver (its GET, and the doorbell's HEAD, fail without the key).
          Sid       = "DenyCustomerProvidedKeys"
          Effect    = "Deny"
          Action    = ["s3:PutObject"]
          Resource  = ["${local.bucket_arn}/*"]
          Condition = { StringLike = { "s3:x-amz-server-side-encryption-customer-algorithm" = ["*"] } }
        },
        {
          # CopyObject (and UploadPartCopy) is authorised as s3:PutObject on the target: without
          # this a node could copy objects it can read (its own inbox) into another inbox, up to
          # 5 GB per request, without uploading them.
          Sid       = "DenyCopy"
          Effect    = "Deny"
          Action    = ["s3:PutObject"]
          Resource  = ["${local.bucket_arn}/*"]
          Condition = { StringLike = { "s3:x-amz-copy-source" = ["*"] } }
        },
      ]
    }
  }

  # IAM measures a policy in characters without whitespace; jsonencode writes none, and every
  # character here is ASCII. The limits are IAM's quotas (reference_iam-quotas): an inline
  # policy counts together with the entity's other inline policies.
  size_limits = {
    managed       = { characters = 6144, what = "IAM's limit for a managed policy" }
    "role-inline" = { characters = 10240, what = "IAM's limit for a role's inline policies together" }
    "user-inline" = { characters = 2048, what = "IAM's limit for a user's inline policies together" }
  }
  policy_lengths = { for name, policy in local.policies : name => length(jsonencode(policy)) }
  longest_policy = max(concat([0], values(local.policy_lengths))...)
  size_limit     = try(local.size_limits[var.attachment], null)
  policy_errors = local.size_limit == null || local.longest_policy <= try(local.size_limit.characters, 0) ? [] : [
    format("each node's policy names every node's inbox and doorbell, and with %d nodes the longest is %d characters, over %s (%d)%s",
      length(local.peer_addresses), local.longest_policy, local.size_limit.what, local.size_limit.characters,
    ": use fewer nodes per network (one network per group of nodes that talk to each other), or a shorter bucket name or key prefix")
  ]

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

# Plans and applies the resource modules against a mocked AWS provider: checks that they are valid
# for the provider's schema and wired as the README says. Needs the hashicorp/aws provider binary
# (for its schema) but no AWS account or network, and Terraform 1.7 or later (mock providers):
#
#   terraform init -plugin-dir=/path/to/mirror   # or a plain `terraform init` with registry access
#   terraform test
#
# The policy documents themselves are tested by rendering modules/node-policy and enforcing the
# result on Ceph RGW (tests/Hoshino.IntegrationTests/Deploy).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  # The attachment validates the policy's ARN, which the mock would otherwise make up at random.
  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::123456789012:policy/hoshino/hoshino-node"
    }
  }
}

variables {
  bucket_name = "hoshino-tftest"
  key_prefix  = "/net1"
}

run "bucket_is_private_encrypted_owner_enforced_and_swept" {
  command = apply

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "All public access must be blocked."
  }

  assert {
    condition     = [for r in aws_s3_bucket_ownership_controls.this.rule : r.object_ownership] == ["BucketOwnerEnforced"]
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs off)."
  }

  assert {
    condition = [
      for r in aws_s3_bucket_server_side_encryption_configuration.this.rule :
      [for d in r.apply_server_side_encryption_by_default : d.sse_algorithm]
    ] == [["AES256"]]
    error_message = "Default encryption must be SSE-S3 (AES256)."
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this.rule) == 1
    error_message = "Exactly one lifecycle rule."
  }

  assert {
    condition = (
      aws_s3_bucket_lifecycle_configuration.this.rule[0].status == "Enabled"
      && aws_s3_bucket_lifecycle_configuration.this.rule[0].filter[0].prefix == "net1/"
      && aws_s3_bucket_lifecycle_configuration.this.rule[0].expiration[0].days == 1
      && aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 1
    )
    error_message = "The lifecycle rule must expire objects under the normalised key prefix after 1 day and abort incomplete multipart uploads."
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.this.policy).Statement[0] == {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
    error_message = "The bucket policy must deny requests without TLS."
  }

  assert {
    condition     = output.key_prefix == "net1/" && output.store_uri == "s3://${aws_s3_bucket.this.id}/net1/"
    error_message = "key_prefix and store_uri must be normalised as hoshino normalises --store."
  }
}

run "user_node_gets_the_rendered_policy_an_access_key_and_a_complete_env" {
  command = apply

  module {
    source = "./modules/node"
  }

  variables {
    name       = "laptop"
    bucket     = "hoshino-tftest"
    key_prefix = "net1/"
    region     = "eu-west-1"
    nodes = {
      laptop = { machine_id = "c05f7f48de53428f0123456789abcdef" }
      worker = { address = "fd5e:59b8:f71d:9a3e::10" }
    }
    identity = "user"
  }

  assert {
    condition     = output.address == "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"
    error_message = "The address must be derived from the machine-id."
  }

  assert {
    condition     = jsondecode(aws_iam_policy.this[0].policy) == jsondecode(module.policy.nodes["laptop"].policy_json)
    error_message = "The user's managed policy must be exactly the document modules/node-policy renders."
  }

  assert {
    condition     = aws_iam_user_policy_attachment.this[0].user == aws_iam_user.this[0].name && aws_iam_user_policy_attachment.this[0].policy_arn == aws_iam_policy.this[0].arn
    error_message = "The managed policy must be attached to the node's user."
  }

  assert {
    condition = jsondecode(aws_iam_policy.this[0].policy).Statement[0].Resource == [
      "arn:aws:s3:::hoshino-tftest/net1/fd5e:59b8:f71d:9a3e::10/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/*",
      "arn:aws:s3:::hoshino-tftest/net1/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/*",
    ]
    error_message = "The node may send as itself into the inbox of each node of nodes, its own included, and nowhere else."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.this[0].policy).Statement : s.Resource if s.Sid == "PublishOwnRecord"] == [
      ["arn:aws:s3:::hoshino-tftest/net1/directory/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"],
    ]
    error_message = "The node may write only its own peer directory record, keyed by its address (not its name)."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.this[0].policy).Statement : s.Condition.StringEquals["s3:prefix"] if s.Sid == "ListOwnInbox"] == [
      ["net1/fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f/", "net1/directory/"],
    ]
    error_message = "The node may list its own inbox and the peer directory, nothing else."
  }

  assert {
    condition     = aws_iam_user.this[0].name == "hoshino-laptop" && aws_iam_access_key.this[0].user == aws_iam_user.this[0].name
    error_message = "One IAM user with one access key."
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_instance_profile.this) == 0 && output.role_arn == null
    error_message = "A user node has no role."
  }

  assert {
    condition = output.hoshino_env == join("", [
      "# hoshino.env for node laptop (fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f), written by Terraform.\n",
      "# Install as /etc/hoshino/hoshino.env, owner root, mode 0600: it holds a secret key.\n",
      "HOSHINO_STORE=s3://hoshino-tftest/net1/\n",
      "HOSHINO_PREFIX=fd5e:59b8:f71d:9a3e::/64\n",
      "HOSHINO_ADDRESS=fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f\n",
      "HOSHINO_S3_REGION=eu-west-1\n",
      "AWS_ACCESS_KEY_ID=${aws_iam_access_key.this[0].id}\n",
      "AWS_SECRET_ACCESS_KEY=${aws_iam_access_key.this[0].secret}\n",
    ])
    error_message = "hoshino.env must hold the store, prefix, address, region and the access key."
  }

  assert {
    condition     = output.credentials.access_key_id == aws_iam_access_key.this[0].id
    error_message = "credentials must carry the access key."
  }
}

run "role_node_gets_an_ec2_instance_profile_and_no_key" {
  command = apply

  module {
    source = "./modules/node"
  }

  variables {
    name       = "worker"
    bucket     = "hoshino-tftest"
    key_prefix = "net1/"
    nodes = {
      worker = { address = "FD5E:59B8:F71D:9A3E:0:0:0:0010" }
    }
    identity = "role"
  }

  assert {
    condition     = output.address == "fd5e:59b8:f71d:9a3e::10"
    error_message = "An explicit address must be made canonical."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy) == jsondecode(module.policy.nodes["worker"].policy_json)
    error_message = "The role's inline policy must be exactly the document modules/node-policy renders."
  }

  assert {
    condition = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement == [{
      Sid       = "Ec2AssumesNodeRole"
      Effect    = "Allow"
      Action    = ["sts:AssumeRole"]
      Principal = { Service = "ec2.amazonaws.com" }
    }]
    error_message = "Only EC2 may assume the node's role."
  }

  assert {
    condition     = aws_iam_instance_profile.this[0].role == aws_iam_role.this[0].name && output.instance_profile_name == "hoshino-worker"
    error_message = "The role must be in an instance profile."
  }

  assert {
    condition     = length(aws_iam_user.this) == 0 && length(aws_iam_access_key.this) == 0 && length(aws_iam_policy.this) == 0 && output.credentials == null
    error_message = "A role node has no user, no access key and no managed policy."
  }

  assert {
    condition     = !strcontains(output.hoshino_env, "AWS_") && strcontains(output.hoshino_env, "HOSHINO_ADDRESS=fd5e:59b8:f71d:9a3e::10\n")
    error_message = "A role node's hoshino.env pins the address and holds no credentials."
  }
}

run "node_with_an_unknown_identity_is_refused" {
  command = plan

  module {
    source = "./modules/node"
  }

  variables {
    name     = "x"
    bucket   = "hoshino-tftest"
    nodes    = { x = { machine_id = "c05f7f48de53428f0123456789abcdef" } }
    identity = "both"
  }

  expect_failures = [var.identity]
}

# modules/node passes its name as required_nodes and its attachment ("managed" for a user,
# "role-inline" for a role) to modules/node-policy, whose output precondition refuses the plan; a
# run can only expect failures of the module it runs, so these two run modules/node-policy itself.
run "node_missing_from_nodes_is_refused" {
  command = plan

  module {
    source = "./modules/node-policy"
  }

  variables {
    bucket         = "hoshino-tftest"
    nodes          = { worker = { address = "fd5e:59b8:f71d:9a3e::10" } }
    required_nodes = ["laptop"]
  }

  expect_failures = [output.nodes]
}

run "policy_outgrowing_a_managed_policy_is_refused" {
  command = plan

  module {
    source = "./modules/node-policy"
  }

  variables {
    bucket     = "hoshino-tftest"
    nodes      = { for i in range(1, 31) : "n${i}" => { address = "fd5e:59b8:f71d:9a3e:1234:5678:9abc:${format("%x", 4096 + i)}" } }
    attachment = "managed"
  }

  expect_failures = [output.nodes]
}

run "role_node_takes_more_nodes_than_a_managed_policy" {
  command = plan

  module {
    source = "./modules/node"
  }

  variables {
    name     = "n1"
    bucket   = "hoshino-tftest"
    nodes    = { for i in range(1, 31) : "n${i}" => { address = "fd5e:59b8:f71d:9a3e:1234:5678:9abc:${format("%x", 4096 + i)}" } }
    identity = "role"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.this[0].policy).Statement[1].Resource) == 30
    error_message = "A role's inline policy rings each of the 30 doorbells."
  }
}

run "two_node_example_plans" {
  command = plan

  module {
    source = "./examples/two-nodes"
  }

  variables {
    bucket_name       = "hoshino-tftest"
    laptop_machine_id = "c05f7f48de53428f0123456789abcdef"
  }

  assert {
    condition     = output.laptop_address == "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f" && output.worker_address == "fd5e:59b8:f71d:9a3e::10"
    error_message = "The example's nodes must get their addresses."
  }
}

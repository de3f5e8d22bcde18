# The bucket that carries a Hoshino network: private, encrypted, ACLs off, TLS only, and swept daily.
# Nodes get their access from identity policies (modules/node), not from this bucket's policy.

locals {
  # Normalised as hoshino normalises the KEYPREFIX of --store: "" or ending in "/".
  key_prefix = trim(var.key_prefix, "/") == "" ? "" : "${trim(var.key_prefix, "/")}/"
}

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# BucketOwnerEnforced: ACLs are disabled and the bucket owner owns every object, whoever wrote it,
# so what a node may do is decided by IAM policies alone. (Without it a writer would own its
# objects and could read back what it put into another node's inbox.)
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# SSE-S3: encrypted at rest with no key policy to manage and no KMS permissions (or KMS request
# costs, one per PUT and GET) for the nodes. Objects are also sealed end to end when the network
# uses --network-key-file.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Nodes delete what they deliver; this sweeps up the rest (bundles for nodes that are gone). S3
# counts whole days and runs expiry once a day, so an object may live up to about two days.
# Versioning stays off: with it every delivered bundle would linger as a noncurrent version.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "hoshino-expire-bundles"
    status = "Enabled"

    filter {
      prefix = local.key_prefix
    }

    expiration {
      days = var.expiration_days
    }

    # Hoshino never uploads in parts, but s3:PutObject also allows starting a multipart upload;
    # parts of one never completed would be stored (and billed) forever.
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  # S3 rejects a policy while the public access block is being changed concurrently.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

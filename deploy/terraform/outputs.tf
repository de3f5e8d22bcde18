output "bucket_name" {
  description = "The bucket's name (pass to modules/node as bucket)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.this.arn
}

output "region" {
  description = "The bucket's region (pass to modules/node as region; it becomes HOSHINO_S3_REGION)."
  value       = aws_s3_bucket.this.region
}

output "key_prefix" {
  description = "The normalised key prefix (pass to modules/node as key_prefix)."
  value       = local.key_prefix
}

output "store_uri" {
  description = "The --store value for every node of this network: s3://BUCKET or s3://BUCKET/KEYPREFIX/."
  value       = local.key_prefix == "" ? "s3://${aws_s3_bucket.this.id}" : "s3://${aws_s3_bucket.this.id}/${local.key_prefix}"
}

output "private_zone_id" {
  description = "The Route 53 private hosted zone's id (variable private_zone), else null."
  value       = local.zone == null ? null : aws_route53_zone.private[0].zone_id
}

output "node_names" {
  description = "NAME.ZONE => address for every node in the private zone (variable private_zone); {} without one."
  value       = { for name, record in aws_route53_record.node : record.name => one(record.records) }
}

output "store_uri" {
  description = "The --store of both nodes."
  value       = module.network.store_uri
}

output "laptop_address" {
  description = "The laptop's tunnel address."
  value       = module.laptop.address
}

output "worker_address" {
  description = "The worker's tunnel address."
  value       = module.worker.address
}

output "laptop_env" {
  description = "hoshino.env for the laptop (holds its secret key)."
  value       = module.laptop.hoshino_env
  sensitive   = true
}

output "worker_env" {
  description = "hoshino.env for the worker (no secrets: credentials come from the instance profile)."
  value       = module.worker.hoshino_env
  sensitive   = true
}

output "worker_instance_profile" {
  description = "Instance profile to launch the worker with."
  value       = module.worker.instance_profile_name
}

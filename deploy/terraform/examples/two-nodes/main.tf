# Two Hoshino nodes on one bucket: "laptop", a machine outside AWS with an access key, and
# "worker", an EC2 instance using an instance profile. After `terraform apply`:
#
#   terraform output -raw laptop_env > hoshino.env     # copy to the laptop's /etc/hoshino/, mode 0600
#   terraform output -raw worker_env                   # for the worker's /etc/hoshino/hoshino.env
#   (launch the worker with instance profile $(terraform output -raw worker_instance_profile))

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

module "network" {
  source = "../.."

  bucket_name = var.bucket_name
  key_prefix  = "net1/"
  tags        = { project = "hoshino" }
}

# Every node of the network. Each node's policy names each of these inboxes and doorbells, so all
# nodes get this same map; adding a node here and applying updates every node's policy.
locals {
  nodes = {
    laptop = { machine_id = var.laptop_machine_id }
    # An instance not launched yet has no machine-id: give it an address, which its hoshino.env
    # pins with HOSHINO_ADDRESS.
    worker = { address = "fd5e:59b8:f71d:9a3e::10" }
  }
}

module "laptop" {
  source = "../../modules/node"

  name       = "laptop"
  nodes      = local.nodes
  bucket     = module.network.bucket_name
  key_prefix = module.network.key_prefix
  region     = module.network.region
  identity   = "user"
  tags       = { project = "hoshino" }
}

module "worker" {
  source = "../../modules/node"

  name       = "worker"
  nodes      = local.nodes
  bucket     = module.network.bucket_name
  key_prefix = module.network.key_prefix
  region     = module.network.region
  identity   = "role"
  tags       = { project = "hoshino" }
}

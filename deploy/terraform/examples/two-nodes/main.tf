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

module "laptop" {
  source = "../../modules/node"

  name       = "laptop"
  bucket     = module.network.bucket_name
  key_prefix = module.network.key_prefix
  region     = module.network.region
  machine_id = var.laptop_machine_id
  identity   = "user"
  tags       = { project = "hoshino" }
}

module "worker" {
  source = "../../modules/node"

  name       = "worker"
  bucket     = module.network.bucket_name
  key_prefix = module.network.key_prefix
  region     = module.network.region
  # An instance not launched yet has no machine-id: give it an address, which the hoshino.env
  # below pins with HOSHINO_ADDRESS.
  address  = "fd5e:59b8:f71d:9a3e::10"
  identity = "role"
  tags     = { project = "hoshino" }
}

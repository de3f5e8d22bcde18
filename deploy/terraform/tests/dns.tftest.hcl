# The optional Route 53 private hosted zone (variable private_zone), planned and applied against a
# mocked AWS provider, as resources.tftest.hcl: off by default; on, one AAAA record per node whose
# address is derived exactly as hoshino derives it; bad names refused at plan time.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  bucket_name = "hoshino-tftest"
  key_prefix  = "net1/"
}

run "no_zone_by_default" {
  command = plan

  assert {
    condition     = length(aws_route53_zone.private) == 0 && length(aws_route53_record.node) == 0
    error_message = "Without private_zone there must be no hosted zone and no records."
  }
}

run "zone_with_an_aaaa_record_per_node" {
  command = apply

  variables {
    private_zone = {
      vpc_ids = ["vpc-0123456789abcdef0", "vpc-0fedcba9876543210"]
      nodes = {
        laptop = { machine_id = "c05f7f48de53428f9a3e0000deadbeef" }
        worker = { address = "FD5E:59B8:F71D:9A3E:0:0:0:10" }
      }
    }
  }

  assert {
    condition     = aws_route53_zone.private[0].name == "hoshino"
    error_message = "The zone must default to hoshino, as hoshino up --dns-domain does."
  }

  assert {
    condition     = toset([for v in aws_route53_zone.private[0].vpc : v.vpc_id]) == toset(["vpc-0123456789abcdef0", "vpc-0fedcba9876543210"])
    error_message = "The zone must be private to the given VPCs."
  }

  assert {
    condition = output.node_names == {
      "laptop.hoshino" = "fd5e:59b8:f71d:9a3e:c05f:7f48:de53:428f"
      "worker.hoshino" = "fd5e:59b8:f71d:9a3e::10"
    }
    error_message = "Each node must have NAME.hoshino AAAA its address, spelled as hoshino address prints it."
  }

  assert {
    condition     = alltrue([for r in aws_route53_record.node : r.type == "AAAA" && r.ttl == 30])
    error_message = "Records must be AAAA with the responder's 30 s TTL."
  }
}

run "zone_of_its_own_name_and_ttl" {
  command = plan

  variables {
    private_zone = {
      name    = "net1.internal"
      ttl     = 60
      vpc_ids = ["vpc-0123456789abcdef0"]
      nodes   = { db = { address = "fd5e:59b8:f71d:9a3e::db" } }
    }
  }

  assert {
    condition     = aws_route53_record.node["db"].name == "db.net1.internal" && aws_route53_record.node["db"].ttl == 60
    error_message = "The record must be NAME.ZONE with the given TTL."
  }
}

run "node_name_that_is_not_a_dns_label_is_refused" {
  command = plan

  variables {
    private_zone = {
      vpc_ids = ["vpc-0123456789abcdef0"]
      nodes   = { "Web_1" = { address = "fd5e:59b8:f71d:9a3e::1" } }
    }
  }

  expect_failures = [var.private_zone]
}

run "zone_without_a_vpc_is_refused" {
  command = plan

  variables {
    private_zone = {
      vpc_ids = []
      nodes   = { web = { address = "fd5e:59b8:f71d:9a3e::1" } }
    }
  }

  expect_failures = [var.private_zone]
}

# No providers on purpose: this module is plain expressions, so `terraform init` and `apply` work
# offline and the tests in tests/Hoshino.IntegrationTests/Deploy can render it without AWS.
terraform {
  required_version = ">= 1.5.0"
}

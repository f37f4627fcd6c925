//go:build tools

// Package tools pins the OpenTofu release the infrastructure-as-code tests run.
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"

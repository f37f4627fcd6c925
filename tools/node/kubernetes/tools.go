//go:build tools

// Package tools pins the node components of the single-node test cluster: the
// kubelet and kube-scheduler of the same Kubernetes release as the control plane.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)

// kstatus-check reads Kubernetes objects (a JSON list) on stdin and prints, for
// each, the status that sigs.k8s.io/cli-utils' kstatus computes — the library
// Flux, kpt and `kubectl wait`-style tools use — as JSON lines. The operator's
// tests run it against real objects to prove their conditions read correctly.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		fmt.Fprintln(os.Stderr, "stdin must be a JSON array of objects:", err)
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	for _, item := range items {
		// Decoded as the API machinery does (integers stay int64), which kstatus expects.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(item); err != nil {
			_ = out.Encode(verdict{Status: "Error", Message: err.Error()})
			continue
		}
		result, err := status.Compute(u)
		v := verdict{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
		if err != nil {
			v.Status, v.Message = "Error", err.Error()
		} else {
			v.Status, v.Message = string(result.Status), result.Message
		}
		_ = out.Encode(v)
	}
}

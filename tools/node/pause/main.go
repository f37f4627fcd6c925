// Command pause is the sandbox ("pause") container of the single-node test
// cluster: the registry's pause image cannot be pulled here. It holds the pod's
// namespaces open and exits on SIGTERM or SIGINT.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}

// Command test-registry serves the C, Python and Rust pull tests a local
// registry: it starts docker-registry under DIR on 127.0.0.1, pushes the
// image tagged "latest" in the OCI layout LAYOUT as busybox:latest, prints
// the registry's host:port, and stops the registry (by pid) when its stdin
// closes or it is sent SIGTERM.
//
//	test-registry DIR LAYOUT
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/libexecution/execution/runtime/internal/testregistry"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: test-registry DIR LAYOUT")
		os.Exit(2)
	}
	r, err := testregistry.Start(os.Args[1], testregistry.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "test-registry:", err)
		os.Exit(1)
	}
	if _, err := r.PushLayout(os.Args[2], "latest", "busybox:latest"); err != nil {
		r.Stop()
		fmt.Fprintln(os.Stderr, "test-registry: push:", err)
		os.Exit(1)
	}
	fmt.Println(r.Host)
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
	r.Stop()
}

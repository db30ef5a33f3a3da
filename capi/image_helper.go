package main

import (
	_ "embed"
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// imageProgram is the image helper (runtime/image/cmd/execution-image),
// which the Makefile builds into this directory before the library, as it
// does the monitor: images are unpacked and pulled there, never in the
// host. It is registered, not copied; only the image calls write it to a
// memfd and start it.
//
//go:embed execution-image
var imageProgram string

func init() {
	runtime.SetImageProgram(unsafeBytes(imageProgram))
}

// unsafeBytes views the read-only bytes of s as a slice, which no one may
// write: the embedded programs stay in the library's read-only data, whose
// pages are read only when a program is first written to its memfd.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

module github.com/libexecution/execution

go 1.26.0

require (
	github.com/containerd/go-runc v1.2.1
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.50.0
)

require github.com/containerd/console v1.0.5 // indirect

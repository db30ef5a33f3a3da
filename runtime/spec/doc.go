// Package spec writes the OCI runtime configs of bundles: the default one
// `runc spec` makes, shaped by BundleOptions (resource limits, a rootless
// caller, a hardened profile, user namespaces, tmpfs dirs) and a Workload
// (env, cwd, user, mounts, rlimits, capabilities, network wishes). It
// imports nothing of the lifecycle in package runtime, which re-exports
// its types.
package spec

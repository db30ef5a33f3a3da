// Package image makes a runtime bundle from an OCI image already on disk,
// as containerd, podman and umoci make one; making a bundle never contacts
// a registry. Pull (pull.go) fetches an image from a registry into an OCI
// layout first, through go-containerregistry's remote package, verifying
// and committing every blob itself (pull_store.go).
// It imports nothing of the lifecycle: the caller gives the config to
// convert over and the options that shape it.
//
// Content from an image is hostile until verified. The library reads OCI
// layouts itself, every file beneath the layout dir, and docker archives
// through go-containerregistry; either way each blob is verified against
// its digest as it is read (verify.go) and an image for another
// platform is refused. umoci writes each layer: its TarExtractor is what
// `umoci unpack` runs, handling whiteouts, opaque dirs, owners, modes,
// xattrs, hard links, symlinks and device nodes, resolving every path
// inside the rootfs (securejoin); its config conversion (image-spec's
// conversion rules) turns the image config into the runtime-spec config.
// The checks here on top (checkEntry) turn an entry reaching out of the
// rootfs, or an invalid whiteout, into an error instead of a confined
// write. Bundles and the layer cache are 0700, overlays nosuid,nodev, and
// the user lookup reads only regular files beneath the rootfs. In a user
// namespace the image's files are owned by the ids they map to: cached
// layers mounted idmapped where the kernel can (idmount.go), else chowned
// as they are unpacked (idmap.go).
package image

package runtime

import (
	"context"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update changes the resources of a live (created, running or paused)
// container through the runtime's update; fields left nil keep their value.
func (c *Container) Update(ctx context.Context, resources *specs.LinuxResources) error {
	if err := c.ownCgroup("update"); err != nil {
		return err
	}
	if resources == nil {
		return wrapf(ErrInvalid, "update container %q: no resources", c.id)
	}
	if c.watch.exited() {
		return wrapf(ErrState, "container %q has stopped", c.id)
	}
	call := c.rt.newCall(ctx, "update")
	err := call.done(call.client.Update(call.ctx, c.id, resources))
	if err != nil && c.watch.exited() {
		return wrapf(ErrState, "container %q has stopped", c.id)
	}
	return err
}

package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime/internal/confined"
)

// A warm pool registers itself as <root>/pools/<token>, a file naming the
// process that holds it, and marks each container it has not handed out
// with a file holding its token in the container's state dir, made before
// the container's record and removed when it is taken (an unlink: cheap
// on the take's path). A pool whose process is gone left its untaken
// containers behind: sweepPools deletes them.

// poolMarkName is the state dir file of an untaken pool container.
const poolMarkName = "pool"

// poolOwner is what <root>/pools/<token> holds: the pool's process.
type poolOwner struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
}

// poolsDir is where the runtime's pools are registered.
func (r *Runtime) poolsDir() string { return filepath.Join(r.root, "pools") }

// registerPool registers a new pool of this process and returns its token.
func (r *Runtime) registerPool() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", sysErr("read random token", err)
	}
	token := hex.EncodeToString(b)
	st, err := readProcStat(os.Getpid())
	if err != nil {
		return "", sysErr("read own start time", err)
	}
	if err := os.MkdirAll(r.poolsDir(), 0o700); err != nil {
		return "", sysErr("create pools dir", err)
	}
	owner := poolOwner{Pid: os.Getpid(), StartTime: st.startTime}
	if err := writeJSON(filepath.Join(r.poolsDir(), token), owner); err != nil {
		return "", err
	}
	return token, nil
}

// unregisterPool removes the registration of a closed pool.
func (r *Runtime) unregisterPool(token string) error {
	if err := os.Remove(filepath.Join(r.poolsDir(), token)); err != nil && !isNotExist(err) {
		return sysErr("remove pool registration", err)
	}
	return nil
}

// poolTokens returns the tokens of the pools registered on the root.
func (r *Runtime) poolTokens() []string {
	entries, _ := os.ReadDir(r.poolsDir())
	var tokens []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".tmp" {
			tokens = append(tokens, e.Name())
		}
	}
	return tokens
}

// poolAlive tells whether the process that registered pool token runs.
func (r *Runtime) poolAlive(token string) bool {
	var owner poolOwner
	if err := readJSON(filepath.Join(r.poolsDir(), token), &owner); err != nil {
		return !isNotExist(err)
	}
	st, err := readProcStat(owner.Pid)
	return err == nil && st.startTime == owner.StartTime
}

// markPooled marks the container of state dir dir as pool token's.
func markPooled(dir, token string) error {
	return sysErr("mark pool container", confined.Write(filepath.Join(dir, poolMarkName), []byte(token)))
}

// poolOf is the token of the pool whose untaken container id is, or "".
func (r *Runtime) poolOf(id string) string {
	data, err := confined.Read(filepath.Join(r.containerDir(id), poolMarkName))
	if err != nil {
		return ""
	}
	return string(data)
}

// pooled tells whether container id is a pool's, not yet taken: list
// leaves such containers out (and asks only while a pool is registered).
func (r *Runtime) pooled(id string) bool {
	return r.poolOf(id) != ""
}

// sweepPools deletes the untaken containers of pools whose process is
// gone, then their registrations.
func (r *Runtime) sweepPools() {
	var dead []string
	for _, token := range r.poolTokens() {
		if !r.poolAlive(token) {
			dead = append(dead, token)
		}
	}
	if len(dead) == 0 {
		return
	}
	entries, _ := os.ReadDir(filepath.Join(r.root, "containers"))
	for _, e := range entries {
		if ValidateID(e.Name()) != nil {
			continue
		}
		pool := r.poolOf(e.Name())
		for _, token := range dead {
			if pool != token {
				continue
			}
			if c, err := r.Load(context.Background(), e.Name()); err == nil {
				c.Delete(context.Background(), true)
				c.Close()
			}
		}
	}
	for _, token := range dead {
		r.unregisterPool(token)
	}
}

// unmarkPooled makes a taken container an ordinary one.
func (c *Container) unmarkPooled() error {
	return sysErr("unmark pool container", confined.Remove(filepath.Join(c.dir, poolMarkName)))
}

package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// loadTestAgent registers the agent program: $EXEC_TEST_AGENT (make
// agent), or one built here, static, from monitor/agent.c.
func loadTestAgent() error {
	path := os.Getenv("EXEC_TEST_AGENT")
	if path == "" {
		dir, err := os.MkdirTemp("", "exec-agent-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "execution-agent")
		if out, err := exec.Command("cc", "-O2", "-static", "-o", path, "../monitor/agent.c").CombinedOutput(); err != nil {
			return fmt.Errorf("cannot build the agent: %v: %s", err, out)
		}
	}
	image, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the agent program: %v", err)
	}
	SetAgentProgram(image)
	return nil
}

func init() {
	if err := loadTestAgent(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

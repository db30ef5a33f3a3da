package cgroup

import "testing"

func TestInRoot(t *testing.T) {
	for membership, want := range map[string]bool{
		"4:memory:/ct\n1:cpu:/ct\n0::/ct\n": false,
		"4:memory:/\n1:cpu:/\n0::/ct\n":     true, // v1 left on exit, v2 kept
		"4:memory:/ct\n0::/\n":              true,
		"4:memory:/ct\n":                    false,
		"garbage":                           true,
	} {
		if got := InRoot(membership); got != want {
			t.Errorf("InRoot(%q) = %v, want %v", membership, got, want)
		}
	}
}

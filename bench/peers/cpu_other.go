//go:build !linux

package peers

import "time"

// cpuTree and SelfCPU return 0: process CPU times are read from /proc,
// which only Linux has.
func cpuTree(int) time.Duration { return 0 }

// SelfCPU returns 0; see cpuTree.
func SelfCPU() time.Duration { return 0 }

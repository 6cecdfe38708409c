package peers

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, which is 100 on every Linux we run on.
const clockTicks = 100

// cpuOf returns utime+stime+cutime+cstime of pid from /proc, or 0.
func cpuOf(pid int) time.Duration { return procCPU(pid, []int{11, 12, 13, 14}) }

// procCPU sums the /proc/pid/stat clock-tick fields at the given 0-based
// indexes after the state field.
func procCPU(pid int, fields []int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ticks int64
	for _, i := range fields {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// cpuTree returns the CPU time of pid and of its live children, such as
// nginx's workers, which cutime does not count until they exit.
func cpuTree(pid int) time.Duration {
	total := cpuOf(pid)
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			total += cpuOf(child)
		}
	}
	return total
}

// SelfCPU returns the CPU time this process's own threads have used. It
// leaves out cutime and cstime: they grow by a child's whole CPU time when
// the child is waited for, and the children here are wrk runs and servers.
func SelfCPU() time.Duration { return procCPU(os.Getpid(), []int{11, 12}) }

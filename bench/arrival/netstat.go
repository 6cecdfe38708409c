package arrival

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// NetStats are machine-wide counters that explain late arrivals on
// loopback: a packet dropped because a CPU's input backlog was full
// (net.core.netdev_max_backlog) arrives only when TCP retransmits it,
// 10 ms to 200 ms and more later. They count every process's traffic.
type NetStats struct {
	// BacklogDrops is the sum over CPUs of /proc/net/softnet_stat's
	// dropped column.
	BacklogDrops uint64
	// RetransSegs is TCP's RetransSegs from /proc/net/snmp.
	RetransSegs uint64
}

// Sub returns the counts from o to s.
func (s NetStats) Sub(o NetStats) NetStats {
	return NetStats{BacklogDrops: s.BacklogDrops - o.BacklogDrops, RetransSegs: s.RetransSegs - o.RetransSegs}
}

// ReadNetStats reads the counters from /proc.
func ReadNetStats() (NetStats, error) {
	var s NetStats
	f, err := os.Open("/proc/net/softnet_stat")
	if err != nil {
		return s, err
	}
	s.BacklogDrops, err = parseSoftnet(f)
	f.Close()
	if err != nil {
		return s, err
	}
	f, err = os.Open("/proc/net/snmp")
	if err != nil {
		return s, err
	}
	defer f.Close()
	s.RetransSegs, err = parseSNMP(f, "Tcp", "RetransSegs")
	return s, err
}

// parseSoftnet sums the second column, hexadecimal, of softnet_stat.
func parseSoftnet(r io.Reader) (uint64, error) {
	var sum uint64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			return 0, fmt.Errorf("arrival: softnet_stat line %q", sc.Text())
		}
		n, err := strconv.ParseUint(f[1], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("arrival: softnet_stat: %w", err)
		}
		sum += n
	}
	return sum, sc.Err()
}

// parseSNMP finds a counter in /proc/net/snmp, where each protocol has a
// line of names followed by a line of values.
func parseSNMP(r io.Reader, proto, name string) (uint64, error) {
	prefix := []byte(proto + ":")
	sc := bufio.NewScanner(r)
	var names []string
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(string(line[len(prefix):]))
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == name && i < len(f) {
				return strconv.ParseUint(f[i], 10, 64)
			}
		}
		break
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("arrival: no %s %s in snmp", proto, name)
}

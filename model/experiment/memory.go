package experiment

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// AvailableMemory returns the memory this process may still use, in bytes:
// the smaller of the kernel's MemAvailable and the room left under the
// cgroup's memory.max, where they can be read (Linux); 0 when unknown.
func AvailableMemory() int64 {
	var avail int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				avail = kb << 10
			}
		}
		f.Close()
	}
	limit := readInt("/sys/fs/cgroup/memory.max")
	used := readInt("/sys/fs/cgroup/memory.current")
	if limit > 0 && limit >= used {
		if room := limit - used; avail <= 0 || room < avail {
			avail = room
		}
	}
	return avail
}

// readInt reads a file holding one integer ("max" and errors give 0).
func readInt(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

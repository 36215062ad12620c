package experiment

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
)

// AvailableMemory returns the memory this process may still use, in bytes:
// the smaller of the kernel's MemAvailable and the room left under the
// cgroup's memory.max, where they can be read (Linux); 0 when unknown.
func AvailableMemory() int64 {
	return availableMemory(readFile("/proc/meminfo"), readFile("/sys/fs/cgroup/memory.max"),
		readFile("/sys/fs/cgroup/memory.current"), readFile("/sys/fs/cgroup/memory.stat"))
}

// availableMemory is AvailableMemory from the contents of /proc/meminfo and
// the cgroup v2 files memory.max, memory.current and memory.stat ("" for a
// file that could not be read). The cgroup's use is its working set:
// memory.current less the inactive file cache (memory.stat's inactive_file),
// which the kernel drops before it refuses memory; memory.current alone
// counts the page cache, so after reading a multi-GB crop cache a container
// refused runs that fit.
func availableMemory(meminfo, memMax, current, stat string) int64 {
	var avail int64
	if kb := field(meminfo, "MemAvailable:"); kb > 0 {
		avail = kb << 10
	}
	limit := parseInt(memMax)
	used := parseInt(current)
	if inactive := field(stat, "inactive_file "); inactive > 0 {
		used = max(used-inactive, 0)
	}
	if limit > 0 && limit >= used {
		if room := limit - used; avail <= 0 || room < avail {
			avail = room
		}
	}
	return avail
}

// field returns the integer after the line prefix key in text (a "kB"
// suffix dropped), 0 when there is none.
func field(text, key string) int64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			return parseInt(strings.TrimSuffix(strings.TrimSpace(rest), "kB"))
		}
	}
	return 0
}

// parseInt reads one integer ("max", garbage and negatives give 0).
func parseInt(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// readFile returns a small file's contents (at most 1 MB: these are a few
// KB), "" when it cannot be read.
func readFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}

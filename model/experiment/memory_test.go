package experiment

import (
	"strconv"
	"testing"
)

// TestAvailableMemory feeds availableMemory the contents of fake /proc/meminfo and cgroup v2 files.
// The room under memory.max counted memory.current whole, page cache included, so a container that
// had read a multi-GB crop cache refused runs that fit; the working set leaves out memory.stat's
// inactive_file.
func TestAvailableMemory(t *testing.T) {
	const mb = 1 << 20
	meminfo := func(availKB int64) string {
		return "MemTotal:       16000000 kB\nMemFree:          100000 kB\nMemAvailable:   " +
			itoa(availKB) + " kB\nBuffers:           1000 kB\n"
	}
	stat := func(inactive int64) string {
		return "anon 524288000\nfile 3221225472\nactive_file 10485760\ninactive_file " + itoa(inactive) + "\nslab 1000\n"
	}
	for _, c := range []struct {
		name                        string
		meminfo, memMax, cur, memSt string
		want                        int64
	}{
		{"nothing readable", "", "", "", "", 0},
		{"meminfo only", meminfo(8 << 20), "", "", "", 8 << 30},
		{"no cgroup limit", meminfo(8 << 20), "max\n", itoa(4 << 30), stat(3 << 30), 8 << 30},
		{"cgroup without stat", meminfo(8 << 20), itoa(4 << 30), itoa(3 << 30), "", 1 << 30},
		// 4 GB limit, 3.5 GB charged of which 3 GB is a crop cache the kernel can drop: 3.5 GB of
		// room, not 0.5.
		{"page cache not counted", meminfo(8 << 20), itoa(4 << 30), itoa(3584 * mb), stat(3 << 30), 3584 * mb},
		{"MemAvailable smaller", meminfo(1 << 20), itoa(4 << 30), itoa(3584 * mb), stat(3 << 30), 1 << 30},
		{"inactive above current", meminfo(8 << 20), itoa(4 << 30), itoa(1 << 30), stat(2 << 30), 4 << 30},
		{"over the limit", meminfo(8 << 20), itoa(1 << 30), itoa(2 << 30), stat(0), 8 << 30},
		{"garbage", "MemAvailable: lots kB\n", "x", "-5", "inactive_file ?", 0},
		{"no MemAvailable", "MemTotal: 100 kB\n", itoa(4 << 30), itoa(1 << 30), "", 3 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := availableMemory(c.meminfo, c.memMax, c.cur, c.memSt); got != c.want {
				t.Errorf("availableMemory = %d MB, want %d MB", got/mb, c.want/mb)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

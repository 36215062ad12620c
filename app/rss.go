package app

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// residentMemory is the process's resident set size as /proc says it
// ("512340 kB"), and the Go heap in use beside it, for the script's report
// (the end-to-end test measures the window's memory over many runs); ""
// where /proc is not there.
func residentMemory() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return strings.TrimSpace(v) + " (heap in use " + groupDigits(int(ms.HeapInuse>>10)) + " kB)"
		}
	}
	return ""
}

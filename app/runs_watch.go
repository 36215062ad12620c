package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deformscope/deformscope/model/rundir"
)

// runsPollInterval is how often the runs folder is looked at: a new run
// from dcn, or a new epoch of one, shows within this time. (A variable,
// so that tests can look more often.)
var runsPollInterval = 2 * time.Second

// runFiles are the files of a run folder whose change changes its row in
// the Runs tab: config, name, and metrics (a new epoch).
var runFiles = []string{"config.json", "name.txt", "metrics.jsonl", "metrics.csv"}

// runsWatcher keeps the Runs tab in step with the runs folder without a
// Refresh: its goroutine looks at the folder every runsPollInterval, and
// only when a folder appeared, went or changed (by the size and time of
// its few files; a look costs a directory read and a few stats a run)
// reads the changed runs again (rundir.Summarize) and hands the list to
// the UI goroutine through the bridge. Polling rather than inotify keeps
// it the same on every system and on network folders.
type runsWatcher struct {
	b        *bridge
	v        *runsView
	interval time.Duration

	mu   sync.Mutex
	root string // the folder to follow, set on the UI goroutine

	// The goroutine's own state.
	seenRoot string
	seen     string                // the signature last handed over
	cache    map[string]cachedInfo // by run folder

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// cachedInfo is a run folder's summary and the signature it was read at.
type cachedInfo struct {
	sig  string
	info rundir.RunInfo
	run  bool // a run folder (it has a config)
}

func newRunsWatcher(b *bridge, v *runsView) *runsWatcher {
	w := &runsWatcher{b: b, v: v, interval: runsPollInterval, cache: map[string]cachedInfo{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// follow makes root the folder to watch; the UI goroutine calls it on
// every refresh.
func (w *runsWatcher) follow(root string) {
	w.mu.Lock()
	w.root = root
	w.mu.Unlock()
}

func (w *runsWatcher) loop() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.poll()
		}
	}
}

// poll looks at the folder once and hands over a changed listing.
func (w *runsWatcher) poll() {
	w.mu.Lock()
	root := w.root
	w.mu.Unlock()
	if root == "" {
		return
	}
	if root != w.seenRoot {
		w.seenRoot, w.seen, w.cache = root, "", map[string]cachedInfo{}
	}
	sig, runs, err := w.scan(root)
	if sig == w.seen {
		return
	}
	w.seen = sig
	w.b.runsListed(w.v, root, runs, err)
}

// scan lists root's run folders, reading again only those whose files
// changed, and returns a signature of the whole folder.
func (w *runsWatcher) scan(root string) (string, []rundir.RunInfo, error) {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return "absent", nil, nil
	}
	if err != nil {
		return "error " + err.Error(), nil, fmt.Errorf("rundir: runs folder: %w", err)
	}
	var sig strings.Builder
	var runs []rundir.RunInfo
	next := make(map[string]cachedInfo, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		ds := dirSignature(dir)
		c, ok := w.cache[dir]
		if !ok || c.sig != ds {
			ri, err := rundir.Summarize(dir)
			c = cachedInfo{sig: ds, info: ri, run: err == nil}
		}
		next[dir] = c
		if c.run {
			runs = append(runs, c.info)
			fmt.Fprintf(&sig, "%s\x00%s\n", dir, ds)
		}
	}
	w.cache = next
	slices.SortStableFunc(runs, func(a, b rundir.RunInfo) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.Dir, a.Dir)
	})
	return sig.String(), runs, nil
}

// dirSignature is the size and time of each of a run folder's listed
// files ("-" for one that is absent).
func dirSignature(dir string) string {
	var b strings.Builder
	for _, f := range runFiles {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			b.WriteString("-;")
			continue
		}
		fmt.Fprintf(&b, "%d@%d;", st.Size(), st.ModTime().UnixNano())
	}
	return b.String()
}

// close stops the goroutine and waits for it; it is safe to call twice.
func (w *runsWatcher) close() {
	w.halt()
	<-w.done
}

// halt tells the goroutine to stop without waiting; it is safe to call
// twice.
func (w *runsWatcher) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// Package rundir keeps a run folder: config.json (the experiment's
// settings), metrics.jsonl and metrics.csv (one record per model per
// epoch) and a checkpoint per model per epoch, all written atomically, with
// its lock, its class names, its per-step loss and the runs index. Its
// checkpoints are checked against the folder and its models loaded back
// for inspection; package runner trains into it.
package rundir

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/internal/lockfile"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/train"
)

// Run is a run folder: config.json, metrics.jsonl and metrics.csv (one
// record per model per epoch), and a checkpoint per model per epoch. Every
// file is written atomically. A Run is safe for concurrent use.
type Run struct {
	Dir    string
	Config experiment.RunConfig

	made bool // Create made the folder (it did not exist)

	lock *lockfile.Lock // held from Create or OpenForResume until Release

	mu      sync.Mutex
	records []metrics.Epoch
}

// maxConfigBytes bounds config.json: ours are under 2 KB.
const maxConfigBytes = 1 << 20

// MetricsJSON and MetricsCSV are a run's records: one JSON object per line,
// and the same as a table.
const (
	MetricsJSON = "metrics.jsonl"
	MetricsCSV  = "metrics.csv"
)

const (
	configFile = "config.json"
	// lockFile is the lock of a run being trained: two `dcn train --resume` of one folder trained
	// the same epochs over each other.
	lockFile = "run.lock"
)

// lock takes the run folder's lock, refusing (naming the holder) when another process trains it.
func lock(dir string) (*lockfile.Lock, error) {
	l, err := lockfile.TryLock(filepath.Join(dir, lockFile))
	var le *lockfile.LockedError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("rundir: %s is being trained by %s; wait for it to end (or stop it) and run this again", dir, le.Holder)
	}
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	return l, nil
}

// Release lets go of the folder's lock that Create and OpenForResume take (Launch releases it when
// training ends). It may be called more than once.
func (r *Run) Release() {
	r.lock.Release()
	r.lock = nil
}

// Create makes a new run folder for rc. It refuses a folder that already
// holds a run (resume it instead).
func Create(dir string, rc experiment.RunConfig) (*Run, error) {
	_, statErr := os.Stat(dir)
	made := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rundir: run folder: %w", err)
	}
	exists := fmt.Errorf("rundir: %s already holds a run; use --resume %s to continue it, or choose another folder", dir, dir)
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		return nil, exists
	}
	l, err := lock(dir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			l.Release()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		return nil, exists
	}
	if err := refuseRunFiles(dir); err != nil {
		return nil, err
	}
	if err := removeStale(dir); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, configFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	ok = true
	return &Run{Dir: dir, Config: rc, made: made, lock: l}, nil
}

// refuseRunFiles refuses a folder without a run that holds files a run writes (metrics, classes,
// checkpoints, steps): they are someone's, and the new run would overwrite them.
func refuseRunFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	var found []string
	n := 0
	for _, e := range entries {
		name := e.Name()
		_, _, ck := parseCheckpointName(name)
		if name == MetricsJSON || name == MetricsCSV || name == classesFile || name == stepsFile || ck {
			n++
			if len(found) < 5 {
				found = append(found, name)
			}
		}
	}
	if n == 0 {
		return nil
	}
	more := ""
	if n > len(found) {
		more = fmt.Sprintf(" and %d more", n-len(found))
	}
	return fmt.Errorf("rundir: %s holds no run but has files a run would overwrite (%s%s): choose another folder",
		dir, strings.Join(found, ", "), more)
}

// DiscardIfEmpty removes the run if it recorded nothing beyond the
// config.json that Create wrote and the classes.json of its data (a run
// whose data or models failed, say), so that no empty run is left behind:
// those files go, and the folder too when Create made it and nothing else
// is in it. Files that are not the run's own (a user's notes in a folder
// they made) stay where they are. It reports whether it removed the run; a
// run with metrics or a checkpoint is kept whole.
func (r *Run) DiscardIfEmpty() (bool, error) {
	// The run is done with either way: its lock goes first (its file would keep the folder).
	r.Release()
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return false, fmt.Errorf("rundir: %w", err)
	}
	others := 0
	var ours []string
	for _, e := range entries {
		switch name := e.Name(); {
		case name == configFile || name == classesFile:
			ours = append(ours, name)
		case name == MetricsJSON || name == MetricsCSV || r.isCheckpoint(name):
			return false, nil
		default:
			others++
		}
	}
	if len(ours) == 0 {
		return false, nil
	}
	for _, name := range ours {
		if err := os.Remove(filepath.Join(r.Dir, name)); err != nil {
			return false, fmt.Errorf("rundir: %w", err)
		}
	}
	if r.made && others == 0 {
		if err := os.Remove(r.Dir); err != nil {
			return true, fmt.Errorf("rundir: %w", err)
		}
	}
	return true, nil
}

// isCheckpoint reports whether name is a checkpoint file of one of the
// run's models.
func (r *Run) isCheckpoint(name string) bool {
	m, _, ok := parseCheckpointName(name)
	return ok && slices.Contains(r.Config.Models, m)
}

// parseCheckpointName splits a checkpoint file name made by CheckpointPath
// into its model and epoch.
func parseCheckpointName(name string) (model string, epoch int, ok bool) {
	rest, ok := strings.CutSuffix(name, ".safetensors")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndex(rest, "-epoch")
	if i <= 0 {
		return "", 0, false
	}
	digits := rest[i+len("-epoch"):]
	if len(digits) < 3 || strings.Trim(digits, "0123456789") != "" {
		return "", 0, false
	}
	epoch, err := strconv.Atoi(digits)
	if err != nil || epoch < 1 {
		return "", 0, false
	}
	return rest[:i], epoch, true
}

// removeStale clears the temporary files that writes killed mid-way left
// in a run folder, so that they do not pile up over kills and resumes.
func removeStale(dir string) error {
	_, err := atomicfile.RemoveStale(dir, func(name string) bool {
		return name == configFile || name == MetricsJSON || name == MetricsCSV || strings.HasSuffix(name, ".safetensors")
	})
	if err != nil {
		return fmt.Errorf("rundir: %s: %w", dir, err)
	}
	return nil
}

// Open reads an existing run folder.
func Open(dir string) (*Run, error) {
	path := filepath.Join(dir, configFile)
	b, err := safeopen.ReadFile(path, maxConfigBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("rundir: %s is not a run folder (no %s)", dir, configFile)
		}
		return nil, fmt.Errorf("rundir: %w", err)
	}
	var rc experiment.RunConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rc); err != nil {
		return nil, fmt.Errorf("rundir: %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		// A second object, or anything else after the first, means the
		// file was edited or two writes were mixed: which one holds?
		return nil, fmt.Errorf("rundir: %s: data after the configuration object (at byte %d)", path, dec.InputOffset())
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("rundir: %s: %w", path, err)
	}
	r := &Run{Dir: dir, Config: rc}
	r.records, err = readMetrics(filepath.Join(dir, MetricsJSON))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// OpenForResume is Open for a run that training will continue: it also
// clears the temporary files that killed writes left behind. No other
// process may be writing into the folder.
//
// It takes the folder's lock first (see Release), so that a second process
// that would train the same run is refused, naming the one that trains it,
// before it reads anything.
func OpenForResume(dir string) (*Run, error) {
	if _, err := Open(dir); err != nil {
		return nil, err // not a run: no lock file is made in someone's folder
	}
	l, err := lock(dir)
	if err != nil {
		return nil, err
	}
	r, err := Open(dir)
	if err != nil {
		l.Release()
		return nil, err
	}
	if err := removeStale(dir); err != nil {
		l.Release()
		return nil, err
	}
	r.lock = l
	return r, nil
}

// SetEpochs changes the number of epochs of a run that is about to be
// resumed (to train it further) and rewrites config.json. It refuses fewer
// epochs than a model of the run has already completed.
func (r *Run) SetEpochs(n int) error {
	if n <= 0 {
		return fmt.Errorf("rundir: --epochs must be positive, got %d", n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.records {
		if m.Epoch > n {
			return fmt.Errorf("rundir: %s: %s already completed %d epochs; --epochs %d would drop them", r.Dir, m.Model, m.Epoch, n)
		}
	}
	if n == r.Config.Train.Epochs {
		return nil
	}
	rc := r.Config
	rc.Train.Epochs = n
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.Dir, configFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	r.Config = rc
	return nil
}

func readMetrics(path string) ([]metrics.Epoch, error) {
	f, err := safeopen.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	defer f.Close()
	var recs []metrics.Epoch
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m metrics.Epoch
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("rundir: %s line %d: %w", path, line, err)
		}
		if m.Model == "" || m.Epoch <= 0 {
			return nil, fmt.Errorf("rundir: %s line %d: record without model or epoch", path, line)
		}
		recs = append(recs, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rundir: %s: %w", path, err)
	}
	return recs, nil
}

// Records returns a copy of the metrics recorded so far.
func (r *Run) Records() []metrics.Epoch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// Record adds one epoch record (replacing an older record of the same
// model and epoch) and rewrites metrics.jsonl and metrics.csv.
func (r *Run) Record(m metrics.Epoch) error {
	m.Inspect = nil // in-memory only; the files hold what is persisted
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = slices.DeleteFunc(r.records, func(o metrics.Epoch) bool { return o.Model == m.Model && o.Epoch >= m.Epoch })
	r.records = append(r.records, m)
	return r.flush()
}

// Truncate drops the records of model after epoch (for a resume).
func (r *Run) Truncate(model string, epoch int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.records)
	r.records = slices.DeleteFunc(r.records, func(o metrics.Epoch) bool { return o.Model == model && o.Epoch > epoch })
	if len(r.records) == n {
		return nil
	}
	return r.flush()
}

func (r *Run) flush() error {
	err := atomicfile.Write(filepath.Join(r.Dir, MetricsJSON), 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, m := range r.records {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	err = atomicfile.Write(filepath.Join(r.Dir, MetricsCSV), 0o644, func(w io.Writer) error {
		return writeCSV(w, r.records)
	})
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// CSVHeader is the first line of metrics.csv; scripts rely on these names.
var CSVHeader = []string{"model", "arch", "epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
	"test_loss", "test_acc", "scaled_test_acc", "skipped_steps", "epoch_seconds", "eval_seconds"}

func csvNum(n metrics.Num) string {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func writeCSV(w io.Writer, recs []metrics.Epoch) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, m := range recs {
		row := []string{m.Model, m.Arch, strconv.Itoa(m.Epoch), strconv.FormatFloat(m.LR, 'g', 6, 64),
			csvNum(m.TrainLoss), csvNum(m.TrainAcc), csvNum(m.ValLoss), csvNum(m.ValAcc), csvNum(m.TestLoss),
			csvNum(m.TestAcc), csvNum(m.ScaledTestAcc), strconv.Itoa(m.Skipped),
			strconv.FormatFloat(m.EpochSeconds, 'f', 3, 64), strconv.FormatFloat(m.EvalSeconds, 'f', 3, 64)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CheckpointPath is where the checkpoint of model after epoch is kept.
func (r *Run) CheckpointPath(model string, epoch int) string {
	return filepath.Join(r.Dir, fmt.Sprintf("%s-epoch%03d.safetensors", model, epoch))
}

// LatestCheckpoint returns the last epoch of model that has both a
// checkpoint and a metrics record (0 and "" when there is none).
func (r *Run) LatestCheckpoint(model string) (epoch int, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.records {
		if m.Model != model || m.Epoch <= epoch {
			continue
		}
		if p := r.CheckpointPath(model, m.Epoch); fileExists(p) {
			epoch, path = m.Epoch, p
		}
	}
	return epoch, path
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// CheckMeta returns the check of a checkpoint at path, of model after
// epoch; withConfig also compares its configuration with the run's.
func (r *Run) CheckMeta(path, model string, epoch int, withConfig bool) func(map[string]string) error {
	return func(meta map[string]string) error {
		if meta["model"] != model || meta["epoch"] != strconv.Itoa(epoch) {
			return fmt.Errorf("rundir: %s holds %s after epoch %s, not what its name says", path, meta["model"], meta["epoch"])
		}
		if withConfig {
			return sameConfig(path, meta["config"], r.Config)
		}
		return nil
	}
}

// CheckUnrecorded refuses to resume model after epoch when the folder
// holds its checkpoints of later epochs than epoch+1. One unrecorded
// checkpoint is what a stop between saving a checkpoint and its record
// leaves; more mean that records were lost.
func (r *Run) CheckUnrecorded(model string, epoch int) error {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	last := 0
	for _, e := range entries {
		if m, n, ok := parseCheckpointName(e.Name()); ok && m == model && n > epoch+1 {
			last = max(last, n)
		}
	}
	if last == 0 {
		return nil
	}
	return fmt.Errorf("rundir: %s holds %s checkpoints up to epoch %d, but %s records it only up to epoch %d; "+
		"resuming would train those epochs again and overwrite them. Restore %s, or start a new run folder",
		r.Dir, model, last, MetricsJSON, epoch, MetricsJSON)
}

// sameConfig checks that the configuration stored in a checkpoint (JSON)
// is rc, apart from the number of epochs, the Scaled-MNIST transform and
// where the data lives, and
// names the settings that differ.
func sameConfig(path, stored string, rc experiment.RunConfig) error {
	if stored == "" {
		return fmt.Errorf("rundir: %s does not record the configuration it was trained under", path)
	}
	var was experiment.RunConfig
	if err := json.Unmarshal([]byte(stored), &was); err != nil {
		return fmt.Errorf("rundir: %s: its stored configuration: %w", path, err)
	}
	was.Train.Epochs = rc.Train.Epochs
	// The Scaled-MNIST transform only tests the weights; a run folder from
	// before it was recorded, or an evaluation with the other one, trained
	// the same way.
	was.ScaleMode = rc.ScaleMode
	a, b := flatConfig(was), flatConfig(rc)
	for _, k := range relocatable {
		delete(a, k)
		delete(b, k)
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			diff = append(diff, fmt.Sprintf("%s %s (config.json says %s)", k, a[k], orNone(b[k])))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s unset (config.json says %s)", k, b[k]))
		}
	}
	if len(diff) > 0 {
		return fmt.Errorf("rundir: %s was trained under another configuration than %s: %s", path, configFile, strings.Join(diff, ", "))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// relocatable are the settings that say where the data lives: moving the
// data and editing config.json to follow it is allowed.
var relocatable = []string{"mnist_dir", "coco.ann", "coco.images", "coco.test_ann", "coco.test_images"}

// flatConfig lists rc's settings as JSON path → JSON value.
func flatConfig(rc experiment.RunConfig) map[string]string {
	b, _ := json.Marshal(rc)
	var v any
	_ = json.Unmarshal(b, &v)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if prefix != "" {
					k = prefix + "." + k
				}
				walk(k, x)
			}
			return
		}
		j, _ := json.Marshal(v)
		out[prefix] = string(j)
	}
	walk("", v)
	return out
}

// LoadModel builds model name of the run and loads its checkpoint after
// epoch (0: the last complete epoch). It returns the epoch loaded.
func (r *Run) LoadModel(name string, epoch int) (*model.Net[float32], int, error) {
	net, err := experiment.NewNet(r.Config, name)
	if err != nil {
		return nil, 0, err
	}
	last, path := r.LatestCheckpoint(name)
	if path == "" {
		return nil, 0, fmt.Errorf("rundir: %s has no complete epoch of %s", r.Dir, name)
	}
	if epoch == 0 {
		epoch = last
	}
	path = r.CheckpointPath(name, epoch)
	if epoch < 1 || epoch > last || !fileExists(path) {
		return nil, 0, fmt.Errorf("rundir: %s has no checkpoint of %s after epoch %d (epochs 1..%d)", r.Dir, name, epoch, last)
	}
	if _, err := train.LoadWeightsChecked(path, net, r.CheckMeta(path, name, epoch, false)); err != nil {
		return nil, 0, err
	}
	return net, epoch, nil
}

// classesFile holds the run's class names (a JSON list), written once the
// data is loaded, so that figures name the classes without loading the
// data again.
const classesFile = "classes.json"

// SetClasses records the run's class names in the folder.
func (r *Run) SetClasses(names []string) error {
	b, err := json.Marshal(names)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.Dir, classesFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// Classes returns the run's class names: those SetClasses recorded, else
// the digits for an MNIST run, else nil (a COCO run from before the folder
// kept them; figures then number the classes).
func (r *Run) Classes() []string {
	b, err := os.ReadFile(filepath.Join(r.Dir, classesFile))
	var names []string
	if err == nil && json.Unmarshal(b, &names) == nil && len(names) > 0 {
		return names
	}
	if r.Config.Data == "mnist" {
		return []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	}
	return nil
}

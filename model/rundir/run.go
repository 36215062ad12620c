// Package rundir keeps a run folder: config.json (the experiment's
// settings), metrics.jsonl and metrics.csv (one record per model per
// epoch) and a checkpoint per model per epoch, all written atomically. A
// Session trains a run's models together and saves each epoch into the
// folder; a run is resumed from its last complete epochs and its models
// are loaded back for inspection.
package rundir

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/ckpt"
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

	mu      sync.Mutex
	records []metrics.Epoch
}

const (
	configFile  = "config.json"
	metricsJSON = "metrics.jsonl"
	metricsCSV  = "metrics.csv"
)

// Create makes a new run folder for rc. It refuses a folder that already
// holds a run (resume it instead).
func Create(dir string, rc experiment.RunConfig) (*Run, error) {
	_, statErr := os.Stat(dir)
	made := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rundir: run folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		return nil, fmt.Errorf("rundir: %s already holds a run; use --resume %s to continue it, or choose another folder", dir, dir)
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, configFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	return &Run{Dir: dir, Config: rc, made: made}, nil
}

// DiscardIfEmpty removes the run if its folder holds nothing but the
// config.json that Create wrote and the classes.json of its data (a run
// whose data or models failed, say), so that no empty run is left behind:
// those files, and the folder too when
// Create made it (a folder the user made stays, empty). It reports whether
// it removed the run; a folder with anything else in it is kept whole.
func (r *Run) DiscardIfEmpty() (bool, error) {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return false, fmt.Errorf("rundir: %w", err)
	}
	for _, e := range entries {
		if e.Name() != configFile && e.Name() != classesFile {
			return false, nil
		}
	}
	if len(entries) == 0 {
		return false, nil
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(r.Dir, e.Name())); err != nil {
			return false, fmt.Errorf("rundir: %w", err)
		}
	}
	if r.made {
		if err := os.Remove(r.Dir); err != nil {
			return true, fmt.Errorf("rundir: %w", err)
		}
	}
	return true, nil
}

// Open reads an existing run folder.
func Open(dir string) (*Run, error) {
	path := filepath.Join(dir, configFile)
	b, err := os.ReadFile(path)
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
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("rundir: %s: %w", path, err)
	}
	r := &Run{Dir: dir, Config: rc}
	r.records, err = readMetrics(filepath.Join(dir, metricsJSON))
	if err != nil {
		return nil, err
	}
	return r, nil
}

func readMetrics(path string) ([]metrics.Epoch, error) {
	f, err := os.Open(path)
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

// truncate drops the records of model after epoch (for a resume).
func (r *Run) truncate(model string, epoch int) error {
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
	err := atomicfile.Write(filepath.Join(r.Dir, metricsJSON), 0o644, func(w io.Writer) error {
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
	err = atomicfile.Write(filepath.Join(r.Dir, metricsCSV), 0o644, func(w io.Writer) error {
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

// Session trains several models at once, each in its own goroutine, and
// keeps the run folder: after each epoch it saves the model's checkpoint,
// then its metrics record.
type Session struct {
	Run      *Run
	Trainers []*train.Trainer
}

// Resume restores each trainer from its last complete epoch in the run
// folder, and drops records of later epochs. It returns the epochs each
// model continues from.
func (s *Session) Resume() ([]int, error) {
	var from []int
	for _, t := range s.Trainers {
		epoch, path := s.Run.LatestCheckpoint(t.Name)
		if path != "" {
			if err := t.Restore(path); err != nil {
				return nil, err
			}
		}
		if err := s.Run.truncate(t.Name, epoch); err != nil {
			return nil, err
		}
		from = append(from, epoch)
	}
	return from, nil
}

// Train runs every trainer concurrently until all finish. emit receives
// every event from every trainer's goroutine, so it must be safe for
// concurrent use. If one trainer fails, the others are stopped. Cancelling
// ctx stops all promptly; the run folder keeps the last complete epochs.
func (s *Session) Train(ctx context.Context, emit func(train.Event)) error {
	if emit == nil {
		emit = func(train.Event) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(s.Trainers))
	var wg sync.WaitGroup
	for i, t := range s.Trainers {
		wg.Go(func() {
			var saveErr error
			err := t.Run(ctx, func(e train.Event) {
				if e.Kind == train.KindEpoch && s.Run != nil && saveErr == nil {
					saveErr = s.save(t, e.Epoch)
					if saveErr != nil {
						cancel()
					}
				}
				emit(e)
			})
			if saveErr != nil {
				err = saveErr
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				cancel()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	// A trainer stopped because another failed reports only the cause.
	var out []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			out = append(out, err)
		}
	}
	if len(out) > 0 {
		return errors.Join(out...)
	}
	return ctx.Err()
}

func (s *Session) save(t *train.Trainer, m metrics.Epoch) error {
	c, err := t.Checkpoint(s.Run.Config)
	if err != nil {
		return err
	}
	if err := ckpt.Save(s.Run.CheckpointPath(t.Name, m.Epoch), c); err != nil {
		return fmt.Errorf("rundir: %s: %w", t.Name, err)
	}
	return s.Run.Record(m)
}

// NewSession builds the trainers of rc on d, attached to run (which may be
// nil for a session that keeps no folder).
func NewSession(rc experiment.RunConfig, d train.Data, run *Run) (*Session, error) {
	s := &Session{Run: run}
	for _, name := range rc.Models {
		net, err := experiment.NewNet(rc, name)
		if err != nil {
			return nil, err
		}
		t, err := train.NewTrainer(name, net, d, rc.Train)
		if err != nil {
			return nil, err
		}
		s.Trainers = append(s.Trainers, t)
	}
	return s, nil
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
	if _, err := train.LoadWeights(path, net); err != nil {
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

package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/experiment"
)

// nameFile holds the name the user gave a run, one line of text. It sits
// beside config.json so that config.json stays exactly what dcn reads.
const nameFile = "name.txt"

// maxNameLen bounds a run's name, in bytes.
const maxNameLen = 200

// RunInfo summarises a run folder for a list of past runs.
type RunInfo struct {
	Dir     string
	Name    string    // the name the user gave it, "" when none
	Created time.Time // when the run was started (config.json's time)
	Updated time.Time // when it last recorded an epoch (Created if never)
	Config  experiment.RunConfig
	// Models holds each model of the config with what it recorded, in
	// the config's order.
	Models []ModelSummary
	// Err says why the folder could not be read (a damaged config or
	// metrics file); such a run can still be removed. The other fields
	// hold what could be read.
	Err error
}

// ModelSummary is what one model of a run recorded.
type ModelSummary struct {
	Model string
	// Epochs is the number of complete epochs recorded.
	Epochs int
	// BestTest and BestScaled are the best test and Scaled-MNIST test
	// accuracies over those epochs, in percent; NaN when none was measured.
	BestTest, BestScaled float64
}

// Complete reports whether every model of the run finished every epoch of
// its config.
func (ri RunInfo) Complete() bool {
	if ri.Err != nil || len(ri.Models) == 0 {
		return false
	}
	for _, m := range ri.Models {
		if m.Epochs < ri.Config.Train.Epochs {
			return false
		}
	}
	return true
}

// Trained reports whether any model of the run recorded a complete epoch.
func (ri RunInfo) Trained() bool {
	for _, m := range ri.Models {
		if m.Epochs > 0 {
			return true
		}
	}
	return false
}

// Title is how a list names the run: its name, or else its folder's.
func (ri RunInfo) Title() string {
	if ri.Name != "" {
		return ri.Name
	}
	return filepath.Base(ri.Dir)
}

// Summarize reads the run folder dir into a RunInfo. A folder without
// config.json is not a run: that is an error. A run whose files are
// damaged comes back with Err set and what could be read.
func Summarize(dir string) (RunInfo, error) {
	ri := RunInfo{Dir: dir}
	st, err := os.Stat(filepath.Join(dir, configFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return ri, fmt.Errorf("rundir: %s is not a run folder (no %s)", dir, configFile)
		}
		return ri, fmt.Errorf("rundir: %w", err)
	}
	ri.Created, ri.Updated = st.ModTime(), st.ModTime()
	if st, err := os.Stat(filepath.Join(dir, MetricsJSON)); err == nil && st.ModTime().After(ri.Updated) {
		ri.Updated = st.ModTime()
	}
	ri.Name, err = ReadName(dir)
	if err != nil {
		ri.Err = err
	}
	r, err := Open(dir)
	if err != nil {
		ri.Err = err
		return ri, nil
	}
	ri.Config = r.Config
	for _, name := range r.Config.Models {
		ms := ModelSummary{Model: name, BestTest: math.NaN(), BestScaled: math.NaN()}
		for _, m := range r.records {
			if m.Model != name {
				continue
			}
			ms.Epochs = max(ms.Epochs, m.Epoch)
			ms.BestTest = bestOf(ms.BestTest, float64(m.TestAcc))
			ms.BestScaled = bestOf(ms.BestScaled, float64(m.ScaledTestAcc))
		}
		ri.Models = append(ri.Models, ms)
	}
	return ri, nil
}

// bestOf is the larger of best and v, where NaN means "none".
func bestOf(best, v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return best
	}
	if math.IsNaN(best) || v > best {
		return v
	}
	return best
}

// ListRuns summarises every run folder directly under root, newest first.
// Sub-folders that are not runs are left out; a root that does not exist
// holds no runs.
func ListRuns(root string) ([]RunInfo, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rundir: runs folder: %w", err)
	}
	var runs []RunInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		ri, err := Summarize(filepath.Join(root, e.Name()))
		if err != nil {
			continue // not a run folder
		}
		runs = append(runs, ri)
	}
	slices.SortStableFunc(runs, func(a, b RunInfo) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.Dir, a.Dir)
	})
	return runs, nil
}

// ReadName returns the name the user gave the run in dir ("" when none).
func ReadName(dir string) (string, error) {
	b, err := safeopen.ReadFile(filepath.Join(dir, nameFile), maxConfigBytes)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("rundir: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("rundir: %s: %w", filepath.Join(dir, nameFile), err)
	}
	return name, nil
}

// SetName gives the run in dir a name; an empty name removes it.
func SetName(dir, name string) error {
	if _, err := os.Stat(filepath.Join(dir, configFile)); err != nil {
		return fmt.Errorf("rundir: %s is not a run folder (no %s)", dir, configFile)
	}
	name = strings.TrimSpace(name)
	if err := checkName(name); err != nil {
		return fmt.Errorf("rundir: run name: %w", err)
	}
	path := filepath.Join(dir, nameFile)
	if name == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rundir: %w", err)
		}
		return nil
	}
	if err := atomicfile.WriteFile(path, []byte(name+"\n"), 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// checkName accepts a name of one line of printable text.
func checkName(name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("%d bytes long, the most is %d", len(name), maxNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) && r != ' ' {
			return fmt.Errorf("holds the control character %U; want one line of text", r)
		}
	}
	return nil
}

// RemoveRun deletes the run folder dir and everything in it. It refuses a
// folder that holds no config.json, so that a mistaken path never deletes
// a folder that is not a run, and a run that another process (or another
// Run of this one) trains: it takes the run's lock first, naming the
// holder when it cannot, and lets go of it just before removing the folder.
func RemoveRun(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("rundir: %s is not a folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, configFile)); err != nil {
		return fmt.Errorf("rundir: %s is not a run folder (no %s); not removed", dir, configFile)
	}
	l, err := lock(dir)
	if err != nil {
		return fmt.Errorf("%w; not removed", err)
	}
	l.Release()
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// Slug turns a run's name into a piece of a folder name: letters, digits
// and dashes, at most 40 bytes ("" when nothing is left).
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// stepsFile holds the per-step training loss, decimated, so that a viewer
// shows a run as it was shown while it trained.
const stepsFile = "steps.json"

// StepCurve is one model's per-step training loss: X in epochs (2.5 is
// half-way through the third epoch), Y the loss.
type StepCurve struct {
	Model string    `json:"model"`
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
}

// SaveStepCurves keeps the per-step loss curves of the run's models.
func (r *Run) SaveStepCurves(curves []StepCurve) error {
	return writeJSON(filepath.Join(r.Dir, stepsFile), curves)
}

// ReadStepCurves returns the per-step loss curves kept in the run folder
// dir (none when the run kept none). It refuses a curve whose X and Y
// differ in length or hold a value that is not finite.
func ReadStepCurves(dir string) ([]StepCurve, error) {
	path := filepath.Join(dir, stepsFile)
	var curves []StepCurve
	if err := readJSON(path, &curves); err != nil {
		return nil, err
	}
	for _, c := range curves {
		if len(c.X) != len(c.Y) {
			return nil, fmt.Errorf("rundir: %s: %s has %d x and %d y values", path, c.Model, len(c.X), len(c.Y))
		}
	}
	return curves, nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// readJSON decodes path into v; a missing file leaves v as it is.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("rundir: %s: %w", path, err)
	}
	return nil
}

// DataName names a run's data set for the user.
func DataName(data string) string {
	if data == "coco" {
		return "COCO crops"
	}
	return "MNIST"
}

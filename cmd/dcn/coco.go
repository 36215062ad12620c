package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/coco/fetch"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
)

const cocoUsage = `dcn coco: COCO data

Commands:
  report   check an instances file (and its images) and count what is kept and what is skipped
  crops    build (or read from the cache) the object-crop classification set and summarise it
  fetch    download and unpack the official 2017 zips (resumable, checked)

Run "dcn coco COMMAND -h" for a command's flags.
`

// cmdCOCO runs dcn coco: report, crops or fetch, by its first argument.
func cmdCOCO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cocoUsage)
		return errUsage
	}
	switch args[0] {
	case "report":
		return cocoReport(ctx, args[1:], stdout, stderr)
	case "crops":
		return cocoCrops(ctx, args[1:], stdout, stderr)
	case "fetch":
		return cocoFetch(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, cocoUsage)
		return nil
	}
	fmt.Fprintf(stderr, "dcn coco: unknown command %q\n\n%s", args[0], cocoUsage)
	return errUsage
}

// parseFlags parses args into fs and refuses stray arguments (everything
// after the first one would be ignored silently) and numeric flags given
// NaN or ±Inf, which Go's flag package accepts, naming the flag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q (flags come first, as --name value; see -h)\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	var bad error
	fs.Visit(func(fl *flag.Flag) {
		g, ok := fl.Value.(flag.Getter)
		if !ok || bad != nil {
			return
		}
		if v, ok := g.Get().(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			bad = fmt.Errorf("--%s: want a finite number, got %v", fl.Name, v)
		}
	})
	return bad
}

// cocoReport runs dcn coco report: what an instances file holds and what the loader keeps.
func cocoReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn coco report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ann := fs.String("ann", "", "instances_*.json file (required)")
	images := fs.String("images", "", "image folder; without it, image files are not checked")
	asJSON := fs.Bool("json", false, "print JSON: {images, annotations, kept, skipped}")
	minSize := fs.Float64("min-size", coco.DefaultMinSize, "smallest box width and height in pixels (0: any)")
	top := fs.Int("top", cropset.DefaultTopK, "categories kept, the most frequent first")
	decode := fs.Bool("decode", false, "decode every image in full (finds truncated files; slow on train2017)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ann == "" {
		fmt.Fprintln(stderr, "dcn coco report: --ann is required")
		fs.Usage()
		return errUsage
	}
	if *top < 1 {
		return fmt.Errorf("--top %d: want at least 1", *top)
	}
	x, err := coco.Load(ctx, *ann, coco.LoadOptions{MinSize: minSizeOpt(*minSize), ImageDir: *images, Decode: *decode})
	if err != nil {
		return err
	}
	r := x.Report(*top)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printReport(stdout, r, len(x.Categories), *minSize, *images != "")
	return nil
}

// minSizeOpt turns the --min-size flag into LoadOptions.MinSize, where 0 means the default and
// negative none.
func minSizeOpt(v float64) float64 {
	if v <= 0 {
		return -1
	}
	return v
}

// printReport prints a report as text; categories (the usable ones) is left out if negative.
func printReport(w io.Writer, r coco.Report, categories int, minSize float64, checkedFiles bool) {
	fmt.Fprintf(w, "%s: %d images, %d annotations", r.File, r.Images, r.Annotations)
	if categories >= 0 {
		fmt.Fprintf(w, ", %d usable categories", categories)
	}
	fmt.Fprintln(w)
	if !checkedFiles {
		fmt.Fprintln(w, "image files not checked (no --images)")
	}
	kept := 0
	for _, n := range r.Kept {
		kept += n
	}
	fmt.Fprintf(w, "kept %d boxes of at least %g×%g px in the top %d categories:\n", kept, minSize, minSize, len(r.Kept))
	names := slices.SortedFunc(maps.Keys(r.Kept), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Kept[b], r.Kept[a]), strings.Compare(a, b))
	})
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %7d\n", n, r.Kept[n])
	}
	fmt.Fprintln(w, "skipped:")
	some := false
	for _, kind := range []struct {
		name string
		m    map[string]int
	}{{"images", r.Kinds.Images}, {"annotations", r.Kinds.Annotations}, {"categories", r.Kinds.Categories}} {
		for _, reason := range coco.Reasons() {
			if n := kind.m[reason]; n > 0 {
				fmt.Fprintf(w, "  %-12s %-20s %7d\n", kind.name, reason, n)
				some = true
			}
		}
	}
	if !some {
		fmt.Fprintln(w, "  nothing")
	}
	fmt.Fprintf(w, "info: %s %d (kept, clipped to the image)\n", coco.InfoClipped, r.Info[coco.InfoClipped])
	if n := r.Info[coco.InfoAreaNotFinite]; n > 0 {
		fmt.Fprintf(w, "info: %s %d (kept: area is not used)\n", coco.InfoAreaNotFinite, n)
	}
}

// cocoCrops runs dcn coco crops: it builds the object crop set and its cache.
func cocoCrops(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn coco crops", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ann := fs.String("ann", "", "instances_*.json file (required)")
	images := fs.String("images", "", "image folder (required)")
	testAnn := fs.String("test-ann", "", "instances file whose crops form the test split (val2017)")
	testImages := fs.String("test-images", "", "image folder of --test-ann")
	cache := fs.String("cache", "", "crop cache file (read when current, else written; default: the one dcn train and reproduce coco use)")
	size := fs.Int("size", cropset.DefaultCropSize, "crop side in pixels")
	top := fs.Int("top", cropset.DefaultTopK, "categories kept, the most frequent first")
	perClass := fs.Int("max-per-class", 0, "at most this many training crops of each category (0: all)")
	minSize := fs.Float64("min-size", coco.DefaultMinSize, "smallest box width and height in pixels (0: any)")
	context := fs.Float64("context", cropset.DefaultContext, "margin on each side, as a share of the box's longer side")
	val := fs.Float64("val", cropset.DefaultFraction, "share of images for validation")
	test := fs.Float64("test", cropset.DefaultFraction, "share of images for test (ignored with --test-ann)")
	seed := fs.Uint64("seed", 1, "seed of the split")
	norm := fs.String("norm", "imagenet", "normalisation: imagenet or dataset (the training crops' own mean and std)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	verify := fs.Bool("verify", false, "read the whole cache to check its checksums (training checks each block when it first reads it); a corrupt cache is built again")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ann == "" || *images == "" {
		fmt.Fprintln(stderr, "dcn coco crops: --ann and --images are required")
		fs.Usage()
		return errUsage
	}
	// 0 means none for the shares (and the default margin is 0.10): negative values were taken
	// silently.
	for _, f := range []struct {
		name string
		v    float64
	}{{"--val", *val}, {"--test", *test}} {
		if !(f.v >= 0 && f.v < 1) {
			return fmt.Errorf("%s: want a share of the images from 0 (none) to below 1, got %g", f.name, f.v)
		}
	}
	if !(*context >= 0) {
		return fmt.Errorf("--context: want a margin of 0 or more (a share of the box's longer side), got %g", *context)
	}
	n, err := cropset.ParseNorm(*norm)
	if err != nil {
		return err
	}
	if *cache == "" {
		// The file that dcn train, dcn reproduce coco and the app read for the same options.
		cd := experiment.DefaultCOCO(*ann, *images)
		cd.TestAnn, cd.TestImages, cd.Size, cd.MinBox, cd.TopK, cd.MaxPerClass = *testAnn, *testImages, *size, *minSize, *top, *perClass
		if *cache, err = cd.CachePath(*seed); err != nil {
			return err
		}
	}
	bar := newBar(stderr, "images")
	opt := cropset.Options{Size: *size, TopK: *top, MaxPerClass: *perClass, MinSize: minSizeOpt(*minSize), Context: zeroAsNone(*context),
		ValFraction: zeroAsNone(*val), TestFraction: zeroAsNone(*test), Seed: *seed, Norm: n,
		TestAnnotations: *testAnn, TestImageDir: *testImages, CachePath: *cache, Progress: bar.update, Verify: *verify,
		Waiting: func(holder string) {
			fmt.Fprintf(stderr, "waiting: %s is being built by %s (Ctrl+C stops waiting)\n", *cache, holder)
		}}
	start := time.Now()
	c, err := cropset.Build(ctx, *ann, *images, opt)
	bar.done()
	if err != nil {
		return err
	}
	type split struct {
		Name    string         `json:"name"`
		Crops   int            `json:"crops"`
		Classes map[string]int `json:"per_class"`
	}
	var out struct {
		Classes []string       `json:"classes"`
		Splits  []split        `json:"splits"`
		Mean    [3]float32     `json:"mean"`
		Std     [3]float32     `json:"std"`
		Norm    string         `json:"norm"`
		Cache   string         `json:"cache,omitempty"`
		Reports []coco.Report  `json:"reports"`
		Seconds float64        `json:"seconds"`
		Info    map[string]int `json:"-"`
	}
	out.Classes, out.Mean, out.Std, out.Norm, out.Cache, out.Reports = c.Classes, c.Mean, c.Std, n.String(), c.Cache, c.Reports
	out.Seconds = time.Since(start).Seconds()
	for s, set := range c.Sets {
		sp := split{Name: cropset.Split(s).String(), Crops: set.N, Classes: map[string]int{}}
		for _, y := range set.Y {
			sp.Classes[c.Classes[y]]++
		}
		out.Splits = append(out.Splits, sp)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "%d classes, %d×%d RGB crops, %s normalisation (mean %.3f std %.3f of the training crops), %.1fs\n",
		len(c.Classes), *size, *size, n, c.Mean, c.Std, out.Seconds)
	if c.Cache != "" {
		fmt.Fprintf(stdout, "cache %s: %s\n", *cache, c.Cache)
	}
	fmt.Fprintf(stdout, "  %-16s %7s %7s %7s\n", "class", "train", "val", "test")
	for _, name := range c.Classes {
		fmt.Fprintf(stdout, "  %-16s %7d %7d %7d\n", name, out.Splits[0].Classes[name], out.Splits[1].Classes[name],
			out.Splits[2].Classes[name])
	}
	fmt.Fprintf(stdout, "  %-16s %7d %7d %7d\n", "total", c.Sets[0].N, c.Sets[1].N, c.Sets[2].N)
	for _, r := range c.Reports {
		fmt.Fprintln(stdout)
		printReport(stdout, r, -1, *minSize, true)
	}
	return nil
}

// zeroAsNone turns a flag's 0 into the options' "none" (a negative value), since a zero option
// means the default.
func zeroAsNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// cocoFetch runs dcn coco fetch: it downloads and unpacks one of the 2017 zips.
func cocoFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn coco fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	split := fs.String("split", "val2017", "val2017 or train2017")
	dir := fs.String("dir", "", "folder to download and unpack into (required)")
	base := fs.String("base-url", fetch.DefaultBaseURL, "server to download from")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "dcn coco fetch: --dir is required")
		fs.Usage()
		return errUsage
	}
	bar := newBar(stderr, "bytes")
	f := fetch.Fetcher{BaseURL: *base, Progress: func(name string, done, total int64) {
		bar.setLabel(name)
		bar.update64(done, total)
	}}
	err := f.Fetch(ctx, *split, *dir)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s ready in %s (annotations/instances_%s.json, %s/)\n", *split, *dir, *split, *split)
	return nil
}

// bar draws a progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise.
type bar struct {
	w        io.Writer
	tty      bool
	unit     string
	label    string
	mu       sync.Mutex
	last     time.Time
	lastTen  int64
	lineOpen bool
	// rate counts from the first update, so that a resumed build's ETA is right.
	rate metrics.Rate
}

func newBar(w io.Writer, unit string) *bar {
	b := &bar{w: w, unit: unit, lastTen: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

// setLabel starts a new bar for another item.
func (b *bar) setLabel(label string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if label == b.label {
		return
	}
	if b.lineOpen {
		fmt.Fprintln(b.w)
		b.lineOpen = false
	}
	b.label, b.lastTen, b.last, b.rate = label, -1, time.Time{}, metrics.Rate{}
}

func (b *bar) update(done, total int) { b.update64(int64(done), int64(total)) }

func (b *bar) update64(done, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	final := total > 0 && done >= total
	if b.tty {
		if !final && time.Since(b.last) < 100*time.Millisecond {
			return
		}
		b.last = time.Now()
		fmt.Fprintf(b.w, "\r\033[K%s", b.line(done, total))
		b.lineOpen = true
		return
	}
	ten := int64(-1)
	if total > 0 {
		ten = done * 10 / total
	}
	if ten > b.lastTen || total <= 0 && time.Since(b.last) > 5*time.Second {
		b.lastTen, b.last = ten, time.Now()
		fmt.Fprintln(b.w, b.line(done, total))
	}
}

func (b *bar) line(done, total int64) string {
	prefix := ""
	if b.label != "" {
		prefix = b.label + " "
	}
	if total <= 0 {
		return fmt.Sprintf("%s%s %s", prefix, humanCount(done, b.unit), b.unit)
	}
	const width = 30
	fill := int(done * width / total)
	fill = max(0, min(fill, width))
	line := fmt.Sprintf("%s[%s%s] %3d%% %s/%s %s", prefix, strings.Repeat("#", fill), strings.Repeat(" ", width-fill),
		done*100/total, humanCount(done, b.unit), humanCount(total, b.unit), b.unit)
	if rate, eta, ok := b.rate.Update(done, total, time.Now()); ok && b.unit != "bytes" {
		line += fmt.Sprintf(" %.0f/s ETA %s", rate, eta.Round(time.Second))
	}
	return line
}

func humanCount(n int64, unit string) string {
	if unit != "bytes" {
		return fmt.Sprint(n)
	}
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	}
	return fmt.Sprint(n)
}

func (b *bar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lineOpen {
		fmt.Fprintln(b.w)
		b.lineOpen = false
	}
}

package cropset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/data"
)

// Defaults for Options.
const (
	DefaultCropSize = 64
	DefaultContext  = 0.10
	DefaultTopK     = 10
	DefaultFraction = 0.10 // of the images with crops, for validation and for test each
)

// Norm chooses how a crop set's pixels are normalised.
type Norm int

const (
	// NormImageNet normalises with ImageNet's per-channel mean and std (ImageNetMean, ImageNetStd),
	// the usual choice for natural RGB images and for nets that may later take pretrained weights.
	NormImageNet Norm = iota
	// NormDataset normalises with the mean and std of the training split's own pixels.
	NormDataset
)

// ImageNet's per-channel (RGB) mean and standard deviation of pixels scaled to [0, 1].
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// String returns "imagenet" or "dataset".
func (n Norm) String() string {
	switch n {
	case NormImageNet:
		return "imagenet"
	case NormDataset:
		return "dataset"
	}
	return "Norm(" + strconv.Itoa(int(n)) + ")"
}

// ParseNorm parses "imagenet" or "dataset".
func ParseNorm(s string) (Norm, error) {
	switch s {
	case "imagenet":
		return NormImageNet, nil
	case "dataset":
		return NormDataset, nil
	}
	return 0, fmt.Errorf("cropset: normalisation %q: want imagenet or dataset", s)
}

// Options configures Build. The zero value gives the defaults: 64×64 crops with 10 % context of
// boxes of at least 32×32 px, the 10 most frequent categories, 10 % of the images for validation
// and 10 % for test, seed 0, ImageNet normalisation, no cache.
type Options struct {
	// Size is the side of a crop in pixels, 8 to 1024; 0 means DefaultCropSize.
	Size int
	// Context is the margin added on each side of a box, as a share of its longer side; 0 means
	// DefaultContext and a negative value means none.
	Context float64
	// MinSize and MaxPixels are as in coco.LoadOptions.
	MinSize   float64
	MaxPixels int64
	// TopK is the number of categories kept, the most frequent among the training file's usable
	// boxes (ties go to the lower category id), 1 to 255; 0 means DefaultTopK. Class i is the i-th
	// most frequent category.
	TopK int
	// ValFraction and TestFraction are the shares of images (with at least one crop) put in the
	// validation and test splits; 0 means DefaultFraction and a negative value none. Their sum must
	// be below 1. TestFraction is ignored when TestAnnotations is set.
	ValFraction, TestFraction float64
	// Seed fixes the split of images (and which crops a MaxPerClass cap keeps).
	Seed uint64
	// MaxPerClass, if positive, keeps at most this many crops of each class in the training split,
	// going through its images in a seeded shuffle; the others are counted as coco.ReasonClassCap
	// and images left without a crop are not decoded. The validation and test splits keep all
	// theirs. It bounds memory and time on large files such as train2017 (hundreds of thousands of
	// crops, 12 KB each at 64×64) and evens out the classes.
	MaxPerClass int
	// Norm chooses the normalisation of the returned sets; it does not change the cache.
	Norm Norm
	// TestAnnotations and TestImageDir, if set, name a second instances file and its images
	// (val2017, typically) whose crops of the same categories form the test split.
	TestAnnotations, TestImageDir string
	// CachePath, if set, is the crop cache: Build reads it when it was made from the same files
	// (path, size and modification time) with the same options, and otherwise builds the crops and
	// writes it.
	CachePath string
	// Workers is the number of images decoded at once; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Verify, on a cache hit, reads the whole cache to check every block's CRC before returning,
	// and builds the cache again if one fails. Without it, Build reads only the cache's trailer and
	// each block is checked when training first reads it (a corrupt block then stops the training
	// that reaches it, naming the file).
	Verify bool
	// Waiting, if set, is called once when another process is building the same cache (see
	// lock.go), with who that is ("pid 1234, dcn, since 2026-12-04 17:40:56"); Build waits for it
	// to finish, then reads the cache.
	Waiting func(holder string)
	// Progress, if set, is called after each image decoded (those with boxes of the chosen
	// categories) with the images done and the total, one call at a time.
	Progress func(done, total int)
}

func (o Options) withDefaults() (Options, error) {
	if o.Size == 0 {
		o.Size = DefaultCropSize
	}
	if o.Context == 0 {
		o.Context = DefaultContext
	}
	if o.TopK == 0 {
		o.TopK = DefaultTopK
	}
	if o.ValFraction == 0 {
		o.ValFraction = DefaultFraction
	}
	if o.TestFraction == 0 {
		o.TestFraction = DefaultFraction
	}
	o.Context = max(o.Context, 0)
	o.ValFraction = max(o.ValFraction, 0)
	o.TestFraction = max(o.TestFraction, 0)
	if o.TestAnnotations != "" {
		o.TestFraction = 0
	}
	lo := coco.LoadOptions{MinSize: o.MinSize, MaxPixels: o.MaxPixels}.WithDefaults()
	o.MinSize, o.MaxPixels = lo.MinSize, lo.MaxPixels
	switch {
	case o.Size < 8 || o.Size > 1024:
		return o, fmt.Errorf("cropset: crop size %d: want 8 to 1024", o.Size)
	case o.TopK < 1 || o.TopK > 255:
		return o, fmt.Errorf("cropset: top %d categories: want 1 to 255", o.TopK)
	case o.MaxPerClass < 0:
		return o, fmt.Errorf("cropset: at most %d crops per class: want 0 (all) or more", o.MaxPerClass)
	case !(o.Context <= 10):
		return o, fmt.Errorf("cropset: context %g: want at most 10", o.Context)
	case !(o.ValFraction+o.TestFraction < 1):
		return o, fmt.Errorf("cropset: validation (%g) and test (%g) fractions must sum to less than 1",
			o.ValFraction, o.TestFraction)
	case o.Norm != NormImageNet && o.Norm != NormDataset:
		return o, fmt.Errorf("cropset: unknown normalisation %d", o.Norm)
	case (o.TestAnnotations == "") != (o.TestImageDir == ""):
		return o, errors.New("cropset: a test annotations file needs its image folder, and the other way round")
	}
	return o, nil
}

// Split names one of the three parts of a crop set.
type Split int

// The three splits, in the order Crops keeps them.
const (
	Train Split = iota
	Val
	Test
)

var splitNames = [3]string{"train", "val", "test"}

// String returns "train", "val" or "test".
func (s Split) String() string {
	if s >= 0 && int(s) < len(splitNames) {
		return splitNames[s]
	}
	return "Split(" + strconv.Itoa(int(s)) + ")"
}

// Ref says where a crop comes from.
type Ref struct {
	ImageID, AnnotationID int64
}

// Crops is a classification set made of COCO object crops. Its crops stay in the cache file and its
// sets read them as they are asked for, so that a set of any size trains in bounded memory; Close
// closes the file (a Crops that is dropped without Close has it closed by the garbage collector).
type Crops struct {
	// Sets holds the train, validation and test sets (index with Train, Val, Test): Size×Size RGB
	// crops, as raw bytes read from the cache file, normalised as Options.Norm says. A split may be
	// empty.
	Sets [3]*data.Set
	// Refs holds, per split, the image and annotation of each crop, in the sets' order: by image
	// id, then annotation id.
	Refs [3][]Ref
	// Classes holds the class names (category names, made unique with the id if two categories
	// share a name) and CategoryIDs the COCO category id of each class.
	Classes     []string
	CategoryIDs []int64
	// Reports holds what happened to every entry: one report for the training file and, if there is
	// one, one for the test file. Kept counts crops per class name.
	Reports []coco.Report
	// Mean and Std are the per-channel mean and standard deviation of the training crops' pixels in
	// [0, 1] (what NormDataset normalises with), whatever Norm was chosen.
	Mean, Std [3]float32
	// Cache says what happened with the cache: "hit", "built: " and why, "resumed: " and how far,
	// and "; not written: ..." when the file could not be kept (the crops then live in an unnamed
	// temporary file).
	Cache string
	// Resumed counts the images that an earlier, stopped build had already cropped.
	Resumed int

	counts [3]int
	size   int
	labels [3][]uint8
	src    io.ReaderAt
	file   *os.File
	// checked is src when the crops come from an existing cache file, whose blocks are checked as
	// they are read.
	checked *checkedFile
}

// Verify reads the whole cache once and checks every block of crops not yet checked (reads check
// the blocks they touch anyway; this finds a corrupt block before training reaches it). A set just
// built needs no check: its crops were written by this process.
func (c *Crops) Verify(ctx context.Context) error {
	if c.checked == nil {
		return nil
	}
	if err := c.checked.checkAll(ctx); err != nil {
		return fmt.Errorf("cropset: crop cache: %w", err)
	}
	return nil
}

// Close closes the cache file; the sets must not be used afterwards.
func (c *Crops) Close() error {
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file = nil
	return err
}

// makeSets makes the three sets on the file, normalised as norm says.
func (c *Crops) makeSets(norm Norm) error {
	mean, std := ImageNetMean, ImageNetStd
	if norm == NormDataset {
		mean, std = c.Mean[:], c.Std[:]
	}
	sample := int64(3 * c.size * c.size)
	off := int64(prefixLen)
	for s := range c.Sets {
		set, err := data.NewFileSet("coco-"+splitNames[s], c.src, off, c.labels[s], c.counts[s], 3, c.size, c.size,
			mean, std)
		if err != nil {
			return err
		}
		c.Sets[s] = set
		off += int64(c.counts[s]) * sample
	}
	return nil
}

// job is one image to crop.
type job struct {
	file  int // 0: the training file, 1: the test file
	image coco.Image
	anns  []coco.Annotation // in annotation id order
	split Split
	slot  int // the first crop's index among all crops (train, then val, then test)
}

// Build makes the crop set from the instances file ann and its image folder imageDir (see Options).
// With opt.CachePath it reads that cache when it was made from the same inputs and options;
// otherwise it builds the crops into it, resuming a build that was stopped, and refuses to
// overwrite a file that is not a crop cache. Without a cache path the crops go to an unnamed
// temporary file. It returns an error if a file is unusable as a whole, if the options are out of
// range, if no box survives, or if ctx ends (a stopped build resumes on the next call); entries
// that fail a check, and images that fail to decode, are skipped and counted in Reports.
func Build(ctx context.Context, ann, imageDir string, opt Options) (*Crops, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	// The image folders are checked at once (a FIFO in their place hung the build in open(2), deaf
	// to signals).
	for _, dir := range []string{imageDir, opt.TestImageDir} {
		if dir == "" {
			continue
		}
		if err := safeopen.CheckDir(dir); err != nil {
			return nil, fmt.Errorf("cropset: image folder: %w", err)
		}
	}
	key, err := cacheKey(ann, imageDir, opt)
	if err != nil {
		return nil, err
	}
	status := ""
	path := opt.CachePath
	if path != "" {
		c, err := openCache(path, &key, opt.Verify)
		if err == nil {
			c.Cache = "hit"
			return c, c.makeSets(opt.Norm)
		}
		lock, lerr := lockBuild(ctx, path, opt.Waiting)
		if lerr != nil && !errors.Is(lerr, errNotWritable) {
			return nil, lerr
		}
		if lerr == nil {
			defer lock.Release()
			// Another process may have finished this very cache while we waited for its lock.
			c, err2 := openCache(path, &key, opt.Verify)
			if err2 == nil {
				c.Cache = "hit (built by another process meanwhile)"
				return c, c.makeSets(opt.Norm)
			}
			err = err2
		}
		if err := isCropFile(path); err != nil {
			return nil, fmt.Errorf("cropset: --cache: %w", err)
		}
		if err := isCropFile(path + ".part"); err != nil {
			return nil, fmt.Errorf("cropset: --cache: %w", err)
		}
		status = "built: " + err.Error()
	} else {
		dir, err := os.MkdirTemp("", "deformscope-crops-")
		if err != nil {
			return nil, fmt.Errorf("cropset: crops: %w", err)
		}
		defer os.RemoveAll(dir) // the open file outlives its name
		path = filepath.Join(dir, "crops.cache")
	}
	c, err := build(ctx, ann, imageDir, opt, key, path)
	if err != nil && opt.CachePath != "" && errors.Is(err, errNotWritable) {
		// The crops are good without a kept cache; say why there is none rather than fail.
		dir, derr := os.MkdirTemp("", "deformscope-crops-")
		if derr != nil {
			return nil, fmt.Errorf("cropset: crops: %w", derr)
		}
		defer os.RemoveAll(dir)
		status += "; not written: " + err.Error()
		c, err = build(ctx, ann, imageDir, opt, key, filepath.Join(dir, "crops.cache"))
	}
	if err != nil {
		return nil, err
	}
	if opt.CachePath != "" {
		if c.Resumed > 0 {
			status = fmt.Sprintf("built, resumed after %d images", c.Resumed) + strings.TrimPrefix(status, "built")
		}
		c.Cache = status
	}
	return c, c.makeSets(opt.Norm)
}

// errNotWritable marks a cache path whose partial file cannot be made.
var errNotWritable = errors.New("cannot write the cache")

// plan is what build works out before it decodes anything.
type plan struct {
	indexes []*coco.Index
	cats    []int64
	names   []string
	class   map[int64]int
	jobs    []job
	counts  [3]int
	total   int
}

func makePlan(ctx context.Context, ann string, opt Options) (*plan, error) {
	// The images are checked as they are decoded, in one pass that the progress callback follows.
	lo := coco.LoadOptions{MinSize: opt.MinSize, MaxPixels: opt.MaxPixels}
	trainX, err := coco.Load(ctx, ann, lo)
	if err != nil {
		return nil, err
	}
	cats := trainX.TopCategories(opt.TopK)
	if len(cats) == 0 {
		return nil, fmt.Errorf("cropset: %s: no usable boxes (skipped: %v)", ann, trainX.Skipped.Total())
	}
	p := &plan{names: coco.ClassNames(cats), class: map[int64]int{}}
	for i, cat := range cats {
		p.class[cat.ID] = i
		p.cats = append(p.cats, cat.ID)
	}
	p.indexes = []*coco.Index{trainX}
	if opt.TestAnnotations != "" {
		testX, err := coco.Load(ctx, opt.TestAnnotations, lo)
		if err != nil {
			return nil, err
		}
		for i, cat := range cats {
			if tc, ok := testX.Category(cat.ID); !ok || tc.Name != cat.Name {
				return nil, fmt.Errorf("cropset: %s: category %d (%q) of class %d is not the same in the test file %s",
					ann, cat.ID, cat.Name, i, opt.TestAnnotations)
			}
		}
		p.indexes = append(p.indexes, testX)
	}
	for file, x := range p.indexes {
		p.jobs = append(p.jobs, imageJobs(x, file, p.class)...)
	}
	assignSplits(p.jobs, opt)
	p.jobs = capPerClass(p.jobs, p.class, opt, trainX)
	for i := range p.jobs {
		j := &p.jobs[i]
		j.slot = p.total
		p.counts[j.split] += len(j.anns)
		p.total += len(j.anns)
	}
	return p, nil
}

// chunkCrops is how many crops of one image a worker holds before writing them.
const chunkCrops = 64

func build(ctx context.Context, ann, imageDir string, opt Options, key [32]byte, path string) (*Crops, error) {
	p, err := makePlan(ctx, ann, opt)
	if err != nil {
		return nil, err
	}
	roots := make([]*os.Root, len(p.indexes))
	for i, dir := range []string{imageDir, opt.TestImageDir}[:len(p.indexes)] {
		if roots[i], err = safeopen.OpenRoot(dir); err != nil {
			return nil, fmt.Errorf("cropset: image folder: %w", err)
		}
		defer roots[i].Close()
	}
	pre := prefix{key: key, size: opt.Size, count: int64(p.total)}
	part, err := openPart(path+".part", pre, len(p.jobs))
	if err != nil {
		return nil, err
	}
	defer part.close()
	failed := part.failed
	todo := make([]int, 0, len(p.jobs))
	for i := range p.jobs {
		if !part.done[i] {
			todo = append(todo, i)
		}
	}
	resumed := len(p.jobs) - len(todo)
	sample := 3 * opt.Size * opt.Size
	progress := opt.Progress
	if progress != nil && resumed > 0 {
		progress(resumed, len(p.jobs))
	}
	var mu sync.Mutex
	done := resumed
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Each worker holds one decoded image and its crops; the crops go straight to their place in
	// the file.
	bufs := make(chan []uint8, workers)
	resizers := sync.Pool{New: func() any { return new(resizer) }}
	err = coco.Parallel(ctx, len(todo), workers, func(k int) {
		i := todo[k]
		j := &p.jobs[i]
		rects := make([]image.Rectangle, len(j.anns))
		for n, a := range j.anns {
			rects[n] = cropRect(a.BBox, j.image.Width, j.image.Height, opt.Context)
		}
		img, reason := coco.DecodeImageRegions(roots[j.file], j.image, opt.MaxPixels, rects)
		code := uint8(0)
		if reason != "" {
			code = reasonCode(reason)
		} else {
			var buf []uint8
			select {
			case buf = <-bufs:
			default:
			}
			// At most chunkCrops crops are held at once, whatever the image's boxes (100,000 boxes
			// on one image took 1.26 GB).
			if n := min(len(j.anns), chunkCrops) * sample; cap(buf) < n {
				buf = make([]uint8, n)
			}
			rs := resizers.Get().(*resizer)
			for lo := 0; lo < len(rects); lo += chunkCrops {
				hi := min(lo+chunkCrops, len(rects))
				b := buf[:(hi-lo)*sample]
				for n, rect := range rects[lo:hi] {
					cropInto(b[n*sample:(n+1)*sample], img, rect, opt.Size, rs)
				}
				if _, werr := part.f.WriteAt(b, prefixLen+int64(j.slot+lo)*int64(sample)); werr != nil {
					resizers.Put(rs)
					part.fail(werr)
					return
				}
			}
			resizers.Put(rs)
			select {
			case bufs <- buf:
			default:
			}
		}
		part.record(i, code)
		mu.Lock()
		done++
		if code != 0 {
			failed[i] = code
		}
		if progress != nil {
			progress(done, len(p.jobs))
		}
		mu.Unlock()
	}, nil)
	if ferr := part.flush(); err == nil {
		err = ferr
	}
	if err == nil {
		err = part.err()
	}
	if err != nil {
		return nil, err
	}
	c, err := part.finish(p, opt.Size)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(path+".part", path); err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	syncDir(filepath.Dir(path))
	os.Remove(path + ".part.log")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cropset: crop cache: %w", err)
	}
	c.file, c.src = f, f
	c.Resumed = resumed
	return c, nil
}

// imageJobs lists the images of x with boxes of the chosen classes, by image id, each with its
// boxes by id.
func imageJobs(x *coco.Index, file int, class map[int64]int) []job {
	byImage := map[int64][]coco.Annotation{}
	for _, a := range x.Annotations {
		if _, ok := class[a.CategoryID]; ok {
			byImage[a.ImageID] = append(byImage[a.ImageID], a)
		}
	}
	jobs := make([]job, 0, len(byImage))
	for id, anns := range byImage {
		slices.SortFunc(anns, func(a, b coco.Annotation) int { return cmp.Compare(a.ID, b.ID) })
		im, _ := x.Image(id)
		jobs = append(jobs, job{file: file, image: im, anns: anns})
	}
	slices.SortFunc(jobs, func(a, b job) int { return cmp.Compare(a.image.ID, b.image.ID) })
	return jobs
}

// assignSplits puts the test file's images in Test and splits the training file's by a seeded
// shuffle of their ids: the first TestFraction of them go to Test, the next ValFraction to Val, the
// rest to Train. Jobs end sorted by split, then image id.
func assignSplits(jobs []job, opt Options) {
	var ids []int64
	for _, j := range jobs {
		if j.file == 0 {
			ids = append(ids, j.image.ID)
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x636f636f73706c74)) // "cocosplt"
	rng.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
	nTest := int(math.Round(opt.TestFraction * float64(len(ids))))
	nVal := int(math.Round(opt.ValFraction * float64(len(ids))))
	split := make(map[int64]Split, len(ids))
	for i, id := range ids {
		switch {
		case i < nTest:
			split[id] = Test
		case i < nTest+nVal:
			split[id] = Val
		default:
			split[id] = Train
		}
	}
	for i := range jobs {
		if jobs[i].file == 0 {
			jobs[i].split = split[jobs[i].image.ID]
		} else {
			jobs[i].split = Test
		}
	}
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(a.split, b.split) })
}

// capPerClass keeps at most opt.MaxPerClass crops of each class in the training split, taking its
// images in a seeded shuffle, counts the rest in x (the training file's index) as
// coco.ReasonClassCap, and drops the images left without crops. Jobs keep their order.
func capPerClass(jobs []job, class map[int64]int, opt Options, x *coco.Index) []job {
	if opt.MaxPerClass <= 0 {
		return jobs
	}
	var train []int
	for i, j := range jobs {
		if j.split == Train {
			train = append(train, i)
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x636f636f63617073)) // "cococaps"
	rng.Shuffle(len(train), func(a, b int) { train[a], train[b] = train[b], train[a] })
	count := make([]int, len(class))
	for _, i := range train {
		j := &jobs[i]
		kept := j.anns[:0:0]
		for _, a := range j.anns {
			if c := class[a.CategoryID]; count[c] < opt.MaxPerClass {
				count[c]++
				kept = append(kept, a)
			} else {
				x.Skipped.Annotations[coco.ReasonClassCap]++
			}
		}
		j.anns = kept
	}
	return slices.DeleteFunc(jobs, func(j job) bool { return len(j.anns) == 0 })
}

package cropset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"

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
	// NormImageNet normalises with ImageNet's per-channel mean and std (ImageNetMean, ImageNetStd), the usual
	// choice for natural RGB images and for nets that may later take pretrained weights.
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
	return 0, fmt.Errorf("coco: normalisation %q: want imagenet or dataset", s)
}

// Options configures Build. The zero value gives the defaults: 64×64 crops with 10 % context of boxes of at
// least 32×32 px, the 10 most frequent categories, 10 % of the images for validation and 10 % for test, seed 0,
// ImageNet normalisation, no cache.
type Options struct {
	// Size is the side of a crop in pixels, 8 to 1024; 0 means DefaultCropSize.
	Size int
	// Context is the margin added on each side of a box, as a share of its longer side; 0 means DefaultContext and
	// a negative value means none.
	Context float64
	// MinSize and MaxPixels are as in coco.LoadOptions.
	MinSize   float64
	MaxPixels int64
	// TopK is the number of categories kept, the most frequent among the training file's usable boxes (ties go to
	// the lower category id), 1 to 255; 0 means DefaultTopK. Class i is the i-th most frequent category.
	TopK int
	// ValFraction and TestFraction are the shares of images (with at least one crop) put in the validation and test
	// splits; 0 means DefaultFraction and a negative value none. Their sum must be below 1. TestFraction is ignored
	// when TestAnnotations is set.
	ValFraction, TestFraction float64
	// Seed fixes the split of images (and which crops a MaxPerClass cap keeps).
	Seed uint64
	// MaxPerClass, if positive, keeps at most this many crops of each class in the training split, going through
	// its images in a seeded shuffle; the others are counted as coco.ReasonClassCap and images left without a crop are not
	// decoded. The validation and test splits keep all theirs. It bounds memory and time on large files such as
	// train2017 (hundreds of thousands of crops, 12 KB each at 64×64) and evens out the classes.
	MaxPerClass int
	// Norm chooses the normalisation of the returned sets; it does not change the cache.
	Norm Norm
	// TestAnnotations and TestImageDir, if set, name a second instances file and its images (val2017, typically)
	// whose crops of the same categories form the test split.
	TestAnnotations, TestImageDir string
	// CachePath, if set, is the crop cache: Build reads it when it was made from the same files (path, size
	// and modification time) with the same options, and otherwise builds the crops and writes it.
	CachePath string
	// Workers is the number of images decoded at once; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Progress, if set, is called after each image decoded (those with boxes of the chosen categories) with the
	// images done and the total, one call at a time.
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
		return o, fmt.Errorf("coco: crop size %d: want 8 to 1024", o.Size)
	case o.TopK < 1 || o.TopK > 255:
		return o, fmt.Errorf("coco: top %d categories: want 1 to 255", o.TopK)
	case o.MaxPerClass < 0:
		return o, fmt.Errorf("coco: at most %d crops per class: want 0 (all) or more", o.MaxPerClass)
	case !(o.Context <= 10):
		return o, fmt.Errorf("coco: context %g: want at most 10", o.Context)
	case !(o.ValFraction+o.TestFraction < 1):
		return o, fmt.Errorf("coco: validation (%g) and test (%g) fractions must sum to less than 1",
			o.ValFraction, o.TestFraction)
	case o.Norm != NormImageNet && o.Norm != NormDataset:
		return o, fmt.Errorf("coco: unknown normalisation %d", o.Norm)
	case (o.TestAnnotations == "") != (o.TestImageDir == ""):
		return o, errors.New("coco: a test annotations file needs its image folder, and the other way round")
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

// Crops is a classification set made of COCO object crops.
type Crops struct {
	// Sets holds the train, validation and test sets (index with Train, Val, Test): Size×Size RGB crops, as raw
	// bytes normalised as Options.Norm says. A split may be empty.
	Sets [3]*data.Set
	// Refs holds, per split, the image and annotation of each crop, in the sets' order: by image id, then
	// annotation id.
	Refs [3][]Ref
	// Classes holds the class names (category names, made unique with the id if two categories share a name) and
	// CategoryIDs the COCO category id of each class.
	Classes     []string
	CategoryIDs []int64
	// Reports holds what happened to every entry: one report for the training file and, if there is one, one for
	// the test file. Kept counts crops per class name.
	Reports []coco.Report
	// Mean and Std are the per-channel mean and standard deviation of the training crops' pixels in [0, 1]
	// (what NormDataset normalises with), whatever Norm was chosen.
	Mean, Std [3]float32
	// Cache says what happened with the cache: "" without one, "hit", or why it was (re)built.
	Cache string
}

// job is one image to crop.
type job struct {
	file  int // 0: the training file, 1: the test file
	image coco.Image
	anns  []coco.Annotation // in annotation id order
	split Split
	slot  int // the first crop's index in its split
}

// Build makes the crop set from the instances file ann and its image folder imageDir (see Options). It
// reads the cache instead when opt.CachePath holds a current one. It returns an error if a file is unusable as a
// whole, if the options are out of range, if no box survives, or if ctx ends; entries that fail a check, and images
// that fail to decode, are skipped and counted in Reports.
func Build(ctx context.Context, ann, imageDir string, opt Options) (*Crops, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	var key [32]byte
	status := ""
	if opt.CachePath != "" {
		if key, err = cacheKey(ann, imageDir, opt); err != nil {
			return nil, err
		}
		c, err := readCacheFile(opt.CachePath, key)
		if err == nil {
			c.Cache = "hit"
			return c, c.normalise(opt.Norm)
		}
		status = "built: " + err.Error()
	}
	c, err := build(ctx, ann, imageDir, opt)
	if err != nil {
		return nil, err
	}
	c.Cache = status
	if opt.CachePath != "" {
		// The crops are good without a cache; say why there is none rather than fail.
		if err := writeCacheFile(opt.CachePath, key, c, opt.Size); err != nil {
			c.Cache += "; not written: " + err.Error()
		}
	}
	return c, c.normalise(opt.Norm)
}

func build(ctx context.Context, ann, imageDir string, opt Options) (*Crops, error) {
	// The images are checked as they are decoded, in one pass that the progress callback follows.
	lo := coco.LoadOptions{MinSize: opt.MinSize, MaxPixels: opt.MaxPixels}
	trainX, err := coco.Load(ctx, ann, lo)
	if err != nil {
		return nil, err
	}
	cats := trainX.TopCategories(opt.TopK)
	if len(cats) == 0 {
		return nil, fmt.Errorf("coco: %s: no usable boxes (skipped: %v)", ann, trainX.Skipped.Total())
	}
	c := &Crops{Classes: coco.ClassNames(cats)}
	class := map[int64]int{}
	for i, cat := range cats {
		class[cat.ID] = i
		c.CategoryIDs = append(c.CategoryIDs, cat.ID)
	}
	indexes := []*coco.Index{trainX}
	if opt.TestAnnotations != "" {
		testX, err := coco.Load(ctx, opt.TestAnnotations, lo)
		if err != nil {
			return nil, err
		}
		for i, cat := range cats {
			if tc, ok := testX.Category(cat.ID); !ok || tc.Name != cat.Name {
				return nil, fmt.Errorf("coco: %s: category %d (%q) of class %d is not the same in the test file %s",
					ann, cat.ID, cat.Name, i, opt.TestAnnotations)
			}
		}
		indexes = append(indexes, testX)
	}

	var jobs []job
	for file, x := range indexes {
		jobs = append(jobs, imageJobs(x, file, class)...)
	}
	assignSplits(jobs, opt)
	jobs = capPerClass(jobs, class, opt, trainX)
	counts := [3]int{}
	for i := range jobs {
		j := &jobs[i]
		j.slot = counts[j.split]
		counts[j.split] += len(j.anns)
	}
	sample := 3 * opt.Size * opt.Size
	var pix [3][]uint8
	for s := range pix {
		pix[s] = make([]uint8, counts[s]*sample)
	}

	roots := make([]*os.Root, len(indexes))
	for i, dir := range []string{imageDir, opt.TestImageDir}[:len(indexes)] {
		if roots[i], err = os.OpenRoot(dir); err != nil {
			return nil, fmt.Errorf("coco: image folder: %w", err)
		}
		defer roots[i].Close()
	}
	failed := make([]string, len(jobs))
	err = coco.Parallel(ctx, len(jobs), opt.Workers, func(i int) {
		j := &jobs[i]
		img, reason := coco.DecodeImage(roots[j.file], j.image, opt.MaxPixels)
		if reason != "" {
			failed[i] = reason
			return
		}
		for k, a := range j.anns {
			at := (j.slot + k) * sample
			cropInto(pix[j.split][at:at+sample], img, cropRect(a.BBox, j.image.Width, j.image.Height, opt.Context), opt.Size)
		}
	}, opt.Progress)
	if err != nil {
		return nil, err
	}

	// Drop the crops of images that failed to decode, moving the rest forward; every split keeps its order.
	var labels [3][]uint8
	made := make([][]int, len(indexes))
	for f := range made {
		made[f] = make([]int, len(cats))
	}
	var write [3]int
	for i, j := range jobs {
		if failed[i] != "" {
			x := indexes[j.file]
			x.Skipped.Images[failed[i]]++
			x.Skipped.Annotations[coco.ReasonImageSkipped] += len(j.anns)
			continue
		}
		s := j.split
		copy(pix[s][write[s]*sample:], pix[s][j.slot*sample:(j.slot+len(j.anns))*sample])
		for _, a := range j.anns {
			cl := class[a.CategoryID]
			labels[s] = append(labels[s], uint8(cl))
			c.Refs[s] = append(c.Refs[s], Ref{ImageID: j.image.ID, AnnotationID: a.ID})
			made[j.file][cl]++
		}
		write[s] += len(j.anns)
	}
	for f, x := range indexes {
		// Kept counts the crops made: boxes on images that failed to decode count as skipped.
		c.Reports = append(c.Reports, x.ReportClasses(c.CategoryIDs, c.Classes, made[f]))
	}
	for s := range pix {
		n := write[s]
		c.Sets[s], err = data.NewSet("coco-"+splitNames[s], pix[s][:n*sample:n*sample], labels[s], n, 3,
			opt.Size, opt.Size, ImageNetMean, ImageNetStd)
		if err != nil {
			return nil, err
		}
	}
	c.Mean, c.Std = pixelStats(c.Sets[Train])
	return c, nil
}

// imageJobs lists the images of x with boxes of the chosen classes, by image id, each with its boxes by id.
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

// assignSplits puts the test file's images in Test and splits the training file's by a seeded shuffle of their
// ids: the first TestFraction of them go to Test, the next ValFraction to Val, the rest to Train. Jobs end sorted
// by split, then image id.
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

// capPerClass keeps at most opt.MaxPerClass crops of each class in the training split, taking its images in a
// seeded shuffle, counts the rest in x (the training file's index) as coco.ReasonClassCap, and drops the images left
// without crops. Jobs keep their order.
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

// pixelStats returns the per-channel mean and standard deviation of a 3-channel set's pixels scaled to [0, 1]; an
// empty set, or a channel with no spread, gets ImageNet's values for it.
func pixelStats(s *data.Set) (mean, std [3]float32) {
	var hist [3][256]int64
	plane := s.H * s.W
	for i := range s.N {
		p := s.Pixels(i)
		for ch := range 3 {
			h := &hist[ch]
			for _, v := range p[ch*plane : (ch+1)*plane] {
				h[v]++
			}
		}
	}
	for ch := range 3 {
		var n, sum, sq float64
		for v, k := range hist[ch] {
			x := float64(v) / 255
			n += float64(k)
			sum += float64(k) * x
			sq += float64(k) * x * x
		}
		mean[ch], std[ch] = ImageNetMean[ch], ImageNetStd[ch]
		if n > 0 {
			m := sum / n
			if sd := math.Sqrt(max(sq/n-m*m, 0)); sd > 1e-3 {
				mean[ch], std[ch] = float32(m), float32(sd)
			}
		}
	}
	return mean, std
}

// normalise gives every set the normalisation norm asks for.
func (c *Crops) normalise(norm Norm) error {
	mean, std := ImageNetMean, ImageNetStd
	if norm == NormDataset {
		mean, std = c.Mean[:], c.Std[:]
	}
	for s, set := range c.Sets {
		ns, err := data.NewSet(set.Name, set.Pix, set.Y, set.N, set.C, set.H, set.W, mean, std)
		if err != nil {
			return err
		}
		c.Sets[s] = ns
	}
	return nil
}

// Package coco reads COCO object-detection data as cocodataset.org distributes it (an
// instances_*.json file and a folder of images) into an index of its images, categories and boxes,
// and checks the image files.
//
// # Loading
//
// [Parse] and [Load] stream the JSON: they never hold the file, nor any value they do not use, in
// memory. Of the top-level object they read "images" (id, file_name, width, height), "annotations"
// (id, image_id, category_id, bbox, area, iscrowd) and "categories" (id, name, supercategory), in
// any order; every other key ("info", "licenses", "segmentation", ...) is skipped after its syntax
// is checked. Keys match exactly (COCO's are lower case).
//
// Every entry is checked. An entry that fails a check is skipped and counted under a stable reason
// name (see [Reasons]); the rest of the file is still used. A file that is unusable as a whole (not
// JSON, truncated, a top-level value or one of the three arrays of the wrong type) gives an error
// naming the file and the byte offset.
//
// A box is [x, y, w, h] in pixels of the raw image frame (EXIF orientation is ignored, as COCO's
// own tools do). A box that reaches outside its image is clipped to the image and kept if the
// clipped box still has positive size and is at least MinSize on both sides; boxes with an edge
// more than one pixel outside are counted under the info key "bbox_clipped" (COCO's own boxes often
// overshoot the border by a rounding error, which is not worth a count).
//
// Turning boxes into a crop set, and its cache, is package cropset's job; downloading and unpacking
// the official zips is package fetch's, so that this package (and whatever reads an index, viz
// included) links no network code.
package coco

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// Reasons for which an entry is skipped. Each skipped entry is counted once, under the first reason
// that applies.
const (
	// Entries of any kind.
	// ReasonNotObject: an element of "images", "annotations" or "categories" is not an object
	ReasonNotObject = "not_an_object"
	// ReasonMissingField: a field the entry needs is absent
	ReasonMissingField = "missing_field"
	// ReasonBadField: a field has the wrong JSON type, or a string is not valid UTF-8
	ReasonBadField = "bad_field"
	// ReasonBadID: an id is not an integer (or is out of range)
	ReasonBadID = "bad_id"
	// ReasonDuplicateID: an earlier entry of the same kind has this id; the first one is kept
	ReasonDuplicateID = "duplicate_id"
	// ReasonZeroSize: an image or box with zero or negative width or height
	ReasonZeroSize = "zero_size"
	// ReasonNotFinite: a bbox number is NaN, Infinity or -Infinity, or too large for float64
	ReasonNotFinite = "bbox_not_finite"
	// ReasonNumberNotFinite: an id, width, height or iscrowd is NaN, Infinity or -Infinity (the
	// tokens Python's json module writes), or too large for float64.
	ReasonNumberNotFinite = "number_not_finite"
	// ReasonBadBBox: bbox is not an array of 4 numbers
	ReasonBadBBox = "bad_bbox"

	// Images.
	// ReasonPathEscapes: file_name is absolute, holds "..", a backslash or NUL, or escapes by a
	// link
	ReasonPathEscapes = "path_escapes_folder"
	// ReasonTooLarge: more pixels than MaxPixels, in the JSON or in the file's header
	ReasonTooLarge = "too_large"
	// ReasonMissingFile: no such file in the image folder
	ReasonMissingFile = "missing_file"
	// ReasonBadImage: not a decodable image (unknown format, truncated, corrupt, a FIFO, a link
	// loop)
	ReasonBadImage = "bad_image"
	// ReasonSizeMismatch: the file's size differs from the JSON's width and height
	ReasonSizeMismatch = "size_mismatch"

	// Annotations.
	// ReasonUnknownImage: no image entry has this id
	ReasonUnknownImage = "unknown_image_id"
	// ReasonImageSkipped: the image entry exists but was skipped for a reason of its own
	ReasonImageSkipped = "image_skipped"
	// ReasonUnknownCategory: no usable category entry has this id
	ReasonUnknownCategory = "unknown_category_id"
	// ReasonCrowd: iscrowd is set: a region of many objects, not one
	ReasonCrowd = "crowd"
	// ReasonOutside: nothing of the box is left after clipping it to the image
	ReasonOutside = "bbox_outside_image"
	// ReasonTooSmall: the clipped box is narrower or lower than MinSize
	ReasonTooSmall = "too_small"

	// ReasonNotTopK counts, in a [Report] and in [Crops], kept boxes whose category is not among
	// the top K.
	ReasonNotTopK = "not_in_top_k"
	// ReasonClassCap counts, in [Crops], training boxes left out by CropOptions.MaxPerClass.
	ReasonClassCap = "over_class_cap"

	// InfoClipped counts kept boxes that reached more than a pixel outside their image (an info
	// count, not a skip).
	InfoClipped = "bbox_clipped"
	// InfoAreaNotFinite counts kept boxes whose area is NaN or ±Infinity: nothing here uses area,
	// so the box stays (with Area set to NaN).
	InfoAreaNotFinite = "area_not_finite"
)

// Reasons returns every skip reason, in a stable order for reports.
func Reasons() []string { return slices.Clone(reasons[:]) }

var reasons = [...]string{
	ReasonNotObject, ReasonMissingField, ReasonBadField, ReasonBadID, ReasonDuplicateID, ReasonZeroSize,
	ReasonNotFinite, ReasonNumberNotFinite, ReasonBadBBox, ReasonPathEscapes, ReasonTooLarge, ReasonMissingFile, ReasonBadImage,
	ReasonSizeMismatch, ReasonUnknownImage, ReasonImageSkipped, ReasonUnknownCategory, ReasonCrowd, ReasonOutside,
	ReasonTooSmall, ReasonNotTopK, ReasonClassCap,
}

// Defaults for LoadOptions.
const (
	DefaultMinSize   = 32
	DefaultMaxPixels = 50_000_000
)

// maxSide bounds an image's width and height, whatever MaxPixels says, so that products of sizes
// never overflow.
const maxSide = 1 << 20

// Image is a usable entry of "images".
type Image struct {
	ID            int64
	FileName      string // relative to the image folder, with forward slashes
	Width, Height int
}

// Category is a usable entry of "categories".
type Category struct {
	ID                  int64
	Name, Supercategory string
}

// Box is an axis-aligned box in pixels: the top-left corner and the size.
type Box struct{ X, Y, W, H float64 }

// Annotation is a usable object box.
type Annotation struct {
	ID, ImageID, CategoryID int64
	// BBox is the box clipped to its image.
	BBox Box
	Area float64
	// Clipped reports that the box reached more than a pixel outside its image.
	Clipped bool
	// AreaNotFinite reports that the file's area was NaN or ±Infinity (Area is then NaN).
	AreaNotFinite bool

	crowd  bool
	reason uint8 // index+1 into Reasons while parsing; 0 once kept
}

// Counts holds a number per kind of entry.
type Counts struct {
	Images, Annotations, Categories int
}

// Skips counts skipped entries by reason, per kind of entry.
type Skips struct {
	Images, Annotations, Categories map[string]int
}

// Total returns the counts of all kinds merged into one map (a new one).
func (s Skips) Total() map[string]int {
	t := map[string]int{}
	for _, m := range []map[string]int{s.Images, s.Annotations, s.Categories} {
		for k, v := range m {
			t[k] += v
		}
	}
	return t
}

func (s Skips) clone() Skips {
	return Skips{Images: maps.Clone(s.Images), Annotations: maps.Clone(s.Annotations), Categories: maps.Clone(s.Categories)}
}

// LoadOptions says which boxes to keep and how to check images. The zero value gives the defaults.
type LoadOptions struct {
	// MinSize is the smallest width and height, in pixels, of a kept box after clipping; 0 means
	// DefaultMinSize and a negative value keeps every box of positive size.
	MinSize float64
	// MaxPixels caps an image's width×height, in the JSON and in the file; 0 means
	// DefaultMaxPixels.
	MaxPixels int64
	// ImageDir, if not empty, is the image folder: Load then opens each image, reads its header
	// with image.DecodeConfig and skips images that are missing, unreadable, too large or of
	// another size than the JSON says, with their boxes. Parse ignores it. Decoding the pixels
	// (which finds truncated files) is left to cropset.Build.
	ImageDir string
	// Decode makes Load decode every image in full rather than read its header, which also finds
	// truncated and corrupt files (as BuildCrops does), at the cost of decoding every image.
	Decode bool
	// Workers is the number of images checked at once; 0 means runtime.GOMAXPROCS(0).
	Workers int
}

// WithDefaults returns o with its zero values replaced by the defaults.
func (o LoadOptions) WithDefaults() LoadOptions {
	if o.MinSize == 0 {
		o.MinSize = DefaultMinSize
	}
	if o.MinSize < 0 {
		o.MinSize = 0
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	return o
}

// Index is what Parse or Load made of an instances file: the usable images, categories and boxes,
// and the counts of everything else.
type Index struct {
	// Name is the file's path (or the name given to Parse), for messages.
	Name string
	// Images, Categories and Annotations hold the usable entries in file order.
	Images      []Image
	Categories  []Category
	Annotations []Annotation
	// Entries counts the elements of each array in the file, usable or not.
	Entries Counts
	// Skipped counts the entries left out, by kind and reason.
	Skipped Skips
	// Info counts notable but kept entries (InfoClipped).
	Info map[string]int

	imageByID    map[int64]int
	categoryByID map[int64]int
}

// Image returns the usable image with the given id.
func (x *Index) Image(id int64) (Image, bool) {
	i, ok := x.imageByID[id]
	if !ok {
		return Image{}, false
	}
	return x.Images[i], true
}

// Category returns the usable category with the given id.
func (x *Index) Category(id int64) (Category, bool) {
	i, ok := x.categoryByID[id]
	if !ok {
		return Category{}, false
	}
	return x.Categories[i], true
}

// Load reads and checks the instances file at path, and with opt.ImageDir set checks the image
// files too. It returns an error only if the file cannot be read or is unusable as a whole, or if
// ctx ends.
func Load(ctx context.Context, path string, opt LoadOptions) (*Index, error) {
	if opt.ImageDir != "" {
		// At once, before the file is parsed: a FIFO in place of the folder hung os.OpenRoot.
		if err := safeopen.CheckDir(opt.ImageDir); err != nil {
			return nil, fmt.Errorf("coco: image folder: %w", err)
		}
	}
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer f.Close()
	x, err := Parse(f, path, opt)
	if err != nil {
		return nil, err
	}
	if opt.ImageDir != "" {
		if err := x.checkFiles(ctx, opt.WithDefaults()); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Parse reads and checks an instances file from r; name is used in messages. It does not look at
// image files.
func Parse(r io.Reader, name string, opt LoadOptions) (*Index, error) {
	opt = opt.WithDefaults()
	p := parser{s: newScanner(r), imageIDs: map[int64]bool{}, catIDs: map[int64]bool{}, arrays: map[string]bool{},
		skips: Skips{Images: map[string]int{}, Annotations: map[string]int{}, Categories: map[string]int{}}}
	if err := p.file(); err != nil {
		return nil, fmt.Errorf("coco: %s: %w", name, err)
	}
	x := &Index{
		Name:    name,
		Entries: Counts{Images: p.imageN, Annotations: p.anns.n + p.annsDropped, Categories: p.catN},
		Skipped: p.skips,
		Info:    map[string]int{},
	}
	x.checkCategories(p.cats)
	skippedImages := x.checkImages(p.images, p.imageIDs, opt)
	x.checkAnnotations(&p.anns, skippedImages, opt)
	return x, nil
}

// reasonCode returns the code under which parse stores a reason.
func reasonCode(r string) uint8 {
	i := slices.Index(reasons[:], r)
	if i < 0 {
		panic("coco: unknown reason " + r)
	}
	return uint8(i + 1)
}

var (
	codeNotObject    = reasonCode(ReasonNotObject)
	codeMissingField = reasonCode(ReasonMissingField)
	codeBadField     = reasonCode(ReasonBadField)
	codeBadID        = reasonCode(ReasonBadID)
	codeNotFinite    = reasonCode(ReasonNotFinite)
	codeNumberNotFin = reasonCode(ReasonNumberNotFinite)
	codeBadBBox      = reasonCode(ReasonBadBBox)
)

// noID marks an id that is absent or unreadable; no integer in a JSON file can decode to it.
const noID = math.MinInt64

type rawImage struct {
	id            int64
	fileName      string
	width, height int64
	reason        uint8
}

type rawCategory struct {
	id                  int64
	name, supercategory string
	reason              uint8
}

// parser turns the scanner's tokens into raw entries; the checks that need other entries come after
// the whole file is read, since COCO files put "annotations" before "images" as often as not.
type parser struct {
	s           *scanner
	images      []rawImage
	cats        []rawCategory
	anns        chunked[Annotation]
	annsDropped int // annotations counted as skipped while parsing, not kept

	// Memory stays proportional to the entries kept, whatever the file
	// holds: an element that is not an object, or has no readable id, is
	// counted as skipped at once; an entry with an id but a fault of its own
	// leaves only its id, which it claims (the first entry with an id claims
	// it; later ones are duplicates).
	imageN, catN int
	imageIDs     map[int64]bool // ids claimed: true when the entry was skipped
	catIDs       map[int64]bool
	skips        Skips
	arrays       map[string]bool // top-level arrays read, to refuse a repeated one
}

// claim records an entry of kind ("images" or "categories") with id and
// parse-time reason code, counting it as skipped unless it is to be kept.
func (p *parser) claim(ids map[int64]bool, skipped map[string]int, id int64, reason uint8) (keep bool) {
	if id != noID {
		if _, dup := ids[id]; dup {
			skipped[ReasonDuplicateID]++
			return false
		}
		ids[id] = reason != 0
	}
	if reason != 0 {
		skipped[reasons[reason-1]]++
		return false
	}
	return true
}

func (p *parser) file() error {
	s := p.s
	c, ok := s.peek()
	if !ok {
		return s.eofError("the top-level object (empty file?)")
	}
	if c != '{' {
		return s.errorf("the top level is not a JSON object (found %s)", quoteByte(c))
	}
	more, err := s.openObject("top-level object")
	for more && err == nil {
		var k []byte
		if k, err = s.key("top-level object"); err != nil {
			break
		}
		switch name := string(k); name {
		case "images", "annotations", "categories":
			if p.arrays[name] {
				// Python's json keeps the last of repeated keys, other
				// readers the first or both: the file is ambiguous.
				err = s.errorf("a second %q array in the top-level object (repeated keys are refused: readers disagree on which one counts)", name)
				break
			}
			p.arrays[name] = true
			switch name {
			case "images":
				err = p.array("images", p.image)
			case "annotations":
				err = p.array("annotations", p.annotation)
			default:
				err = p.array("categories", p.category)
			}
		default:
			err = s.skip()
		}
		if err == nil {
			more, err = s.more('}', "top-level object")
		}
	}
	if err != nil {
		return err
	}
	return s.finish()
}

// array reads the array of one kind of entry, calling elem for each element that is an object and
// notObject for the others.
func (p *parser) array(name string, elem func(notObject bool) error) error {
	s := p.s
	c, ok := s.peek()
	if !ok {
		return s.eofError(`"` + name + `"`)
	}
	if c != '[' {
		return s.errorf("%q is not an array (found %s)", name, quoteByte(c))
	}
	more, err := s.openArray(name)
	for more && err == nil {
		c, _ := s.peek()
		if c == '{' {
			err = elem(false)
		} else if err = s.skip(); err == nil {
			err = elem(true)
		}
		if err == nil {
			more, err = s.more(']', name)
		}
	}
	return err
}

// fields reads the members of an object whose '{' is next, calling field for each key.
func (p *parser) fields(what string, field func(key []byte) error) error {
	s := p.s
	more, err := s.openObject(what)
	for more && err == nil {
		var k []byte
		if k, err = s.key(what); err == nil {
			if err = field(k); err == nil {
				more, err = s.more('}', what)
			}
		}
	}
	return err
}

// setReason records the first problem found with an entry.
func setReason(dst *uint8, code uint8) {
	if *dst == 0 {
		*dst = code
	}
}

func idReason(kind int) uint8 {
	switch kind {
	case valWrongKind:
		return codeBadField
	case valNotFinite:
		return codeNumberNotFin
	}
	return codeBadID
}

// numberReason is the reason for a number field (width, height, iscrowd) of kind other than valOK.
func numberReason(kind int) uint8 {
	if kind == valNotFinite {
		return codeNumberNotFin
	}
	return codeBadField
}

func (p *parser) image(notObject bool) error {
	im := rawImage{id: noID, width: -1, height: -1}
	p.imageN++
	if notObject {
		p.skips.Images[ReasonNotObject]++
		return nil
	}
	var haveID, haveName, haveW, haveH bool
	err := p.fields("image", func(k []byte) error {
		var kind int
		var err error
		switch string(k) {
		case "id":
			im.id, err = p.id(&im.reason)
			haveID = true
		case "file_name":
			im.fileName, kind, err = p.text()
			haveName = true
		case "width":
			im.width, kind, err = p.s.integer()
			haveW = true
		case "height":
			im.height, kind, err = p.s.integer()
			haveH = true
		default:
			err = p.s.skip()
		}
		if kind != valOK {
			setReason(&im.reason, numberReason(kind))
		}
		return err
	})
	if !(haveID && haveName && haveW && haveH) {
		setReason(&im.reason, codeMissingField)
	}
	if err == nil && p.claim(p.imageIDs, p.skips.Images, im.id, im.reason) {
		p.images = append(p.images, im)
	}
	return err
}

func (p *parser) category(notObject bool) error {
	c := rawCategory{id: noID}
	p.catN++
	if notObject {
		p.skips.Categories[ReasonNotObject]++
		return nil
	}
	var haveID, haveName bool
	err := p.fields("category", func(k []byte) error {
		var kind int
		var err error
		switch string(k) {
		case "id":
			c.id, err = p.id(&c.reason)
			haveID = true
		case "name":
			c.name, kind, err = p.text()
			haveName = true
		case "supercategory":
			c.supercategory, kind, err = p.text()
		default:
			err = p.s.skip()
		}
		if kind != valOK {
			setReason(&c.reason, codeBadField)
		}
		return err
	})
	if !(haveID && haveName) {
		setReason(&c.reason, codeMissingField)
	}
	if err == nil && p.claim(p.catIDs, p.skips.Categories, c.id, c.reason) {
		p.cats = append(p.cats, c)
	}
	return err
}

func (p *parser) annotation(notObject bool) error {
	if notObject {
		p.annsDropped++
		p.skips.Annotations[ReasonNotObject]++
		return nil
	}
	a := Annotation{ID: noID}
	var have uint8
	const haveID, haveImage, haveCat, haveBox = 1, 2, 4, 8
	err := p.fields("annotation", func(k []byte) error {
		var kind int
		var err error
		switch string(k) {
		case "id":
			a.ID, err = p.id(&a.reason)
			have |= haveID
		case "image_id":
			a.ImageID, err = p.id(&a.reason)
			have |= haveImage
		case "category_id":
			a.CategoryID, err = p.id(&a.reason)
			have |= haveCat
		case "bbox":
			have |= haveBox
			err = p.bbox(&a)
		case "area":
			a.Area, kind, err = p.s.float()
			switch kind {
			case valWrongKind:
				setReason(&a.reason, codeBadField)
			case valNotFinite:
				a.Area, a.AreaNotFinite = math.NaN(), true
			}
		case "iscrowd":
			err = p.crowd(&a)
		default:
			err = p.s.skip()
		}
		return err
	})
	if have != haveID|haveImage|haveCat|haveBox {
		setReason(&a.reason, codeMissingField)
	}
	if a.ID == noID && a.reason != 0 {
		// Without an id it cannot be a duplicate: count it now.
		p.annsDropped++
		p.skips.Annotations[reasons[a.reason-1]]++
		return err
	}
	p.anns.add(a)
	return err
}

// id reads an id; if it is unreadable it records why in reason and returns noID.
func (p *parser) id(reason *uint8) (int64, error) {
	v, kind, err := p.s.integer()
	if kind != valOK {
		setReason(reason, idReason(kind))
		return noID, err
	}
	return v, err
}

// text reads a string; kind is valWrongKind if it is not a string or not valid UTF-8.
func (p *parser) text() (string, int, error) {
	b, kind, err := p.s.text()
	if kind != valOK || !utf8.Valid(b) {
		return "", valWrongKind, err
	}
	return string(b), valOK, err
}

// bbox reads the value of "bbox", which should be an array of 4 numbers.
func (p *parser) bbox(a *Annotation) error {
	s := p.s
	c, ok := s.peek()
	if !ok {
		return s.eofError("bbox")
	}
	if c != '[' {
		setReason(&a.reason, codeBadBBox)
		return s.skip()
	}
	var v [4]float64
	n := 0
	more, err := s.openArray("bbox")
	for more && err == nil {
		var f float64
		var kind int
		if f, kind, err = s.float(); err != nil {
			break
		}
		switch {
		case kind == valWrongKind || n >= 4:
			setReason(&a.reason, codeBadBBox)
		case kind == valNotFinite:
			setReason(&a.reason, codeNotFinite)
		default:
			v[n] = f
		}
		n++
		more, err = s.more(']', "bbox")
	}
	if n != 4 {
		setReason(&a.reason, codeBadBBox)
	}
	a.BBox = Box{v[0], v[1], v[2], v[3]}
	return err
}

// crowd reads iscrowd: 0 or 1 (any non-zero number counts as 1), or false or true.
func (p *parser) crowd(a *Annotation) error {
	s := p.s
	c, ok := s.peek()
	if !ok {
		return s.eofError("iscrowd")
	}
	if c == 't' || c == 'f' {
		b, err := s.literal()
		a.crowd = b == 't'
		return err
	}
	v, kind, err := s.float()
	if kind != valOK {
		setReason(&a.reason, numberReason(kind))
	}
	a.crowd = v != 0
	return err
}

// LocalPath reports whether a file_name names a file inside the image folder on every system:
// relative, without "..", backslashes or NUL, as filepath.IsLocal sees it.
func LocalPath(name string) bool {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") {
		return false
	}
	for el := range strings.SplitSeq(name, "/") {
		if el == ".." {
			return false
		}
	}
	return filepath.IsLocal(filepath.FromSlash(name))
}

func (x *Index) checkCategories(raw []rawCategory) {
	// The parser kept only usable entries, each with an id of its own.
	x.categoryByID = make(map[int64]int, len(raw))
	for _, c := range raw {
		x.categoryByID[c.id] = len(x.Categories)
		x.Categories = append(x.Categories, Category{ID: c.id, Name: c.name, Supercategory: c.supercategory})
	}
}

// checkImages keeps the usable images and returns the ids of those skipped for a reason of their
// own. The parser kept only entries free of parse-time faults, each with the id it claimed (ids
// maps every claimed id to whether its entry was skipped); what is left to check needs the options.
func (x *Index) checkImages(raw []rawImage, ids map[int64]bool, opt LoadOptions) map[int64]bool {
	x.imageByID = make(map[int64]int, len(raw))
	for _, im := range raw {
		reason := ""
		switch {
		case im.width <= 0 || im.height <= 0:
			reason = ReasonZeroSize
		case im.width > maxSide || im.height > maxSide || im.width*im.height > opt.MaxPixels:
			reason = ReasonTooLarge
		case !LocalPath(im.fileName):
			reason = ReasonPathEscapes
		}
		if reason != "" {
			x.Skipped.Images[reason]++
			ids[im.id] = true
			continue
		}
		x.imageByID[im.id] = len(x.Images)
		x.Images = append(x.Images, Image{ID: im.id, FileName: im.fileName, Width: int(im.width), Height: int(im.height)})
	}
	return ids
}

// checkAnnotations keeps the usable boxes, clipped, in a slice of their exact size.
func (x *Index) checkAnnotations(anns *chunked[Annotation], skippedImages map[int64]bool, opt LoadOptions) {
	markDuplicates(anns)
	n := 0
	for _, block := range anns.blocks {
		for i := range block {
			a := &block[i]
			if a.reason == 0 {
				a.reason = x.checkBox(a, skippedImages, opt)
			}
			if a.reason != 0 {
				x.Skipped.Annotations[reasons[a.reason-1]]++
				continue
			}
			if a.Clipped {
				x.Info[InfoClipped]++
			}
			if a.AreaNotFinite {
				x.Info[InfoAreaNotFinite]++
			}
			n++
		}
	}
	x.Annotations = make([]Annotation, 0, n)
	for _, block := range anns.blocks {
		for _, a := range block {
			if a.reason == 0 {
				x.Annotations = append(x.Annotations, a)
			}
		}
	}
}

// chunked is an append-only list in blocks of fixed size: growing it never copies, so that reading
// 860,000 annotations allocates their size once rather than five times over, as append's growth
// would.
type chunked[T any] struct {
	blocks [][]T
	n      int
}

const chunkSize = 8192

func (c *chunked[T]) add(v T) {
	if len(c.blocks) == 0 || len(c.blocks[len(c.blocks)-1]) == chunkSize {
		c.blocks = append(c.blocks, make([]T, 0, chunkSize))
	}
	last := &c.blocks[len(c.blocks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) at(i int) *T { return &c.blocks[i/chunkSize][i%chunkSize] }

var (
	codeDuplicate       = reasonCode(ReasonDuplicateID)
	codeUnknownImage    = reasonCode(ReasonUnknownImage)
	codeImageSkipped    = reasonCode(ReasonImageSkipped)
	codeUnknownCategory = reasonCode(ReasonUnknownCategory)
	codeCrowd           = reasonCode(ReasonCrowd)
	codeZeroSize        = reasonCode(ReasonZeroSize)
	codeOutside         = reasonCode(ReasonOutside)
	codeTooSmall        = reasonCode(ReasonTooSmall)
)

// markDuplicates marks every annotation with the id of an earlier one (usable or not) as a
// duplicate.
func markDuplicates(anns *chunked[Annotation]) {
	sorted := true
	last := int64(math.MinInt64)
	for i := range anns.n {
		a := anns.at(i)
		if a.ID == noID {
			continue
		}
		if a.ID <= last {
			sorted = false
			break
		}
		last = a.ID
	}
	if sorted {
		return
	}
	// A duplicate takes precedence over the entry's own faults, as for images and categories.
	type ref struct {
		id int64
		i  int32
	}
	refs := make([]ref, 0, anns.n)
	for i := range anns.n {
		a := anns.at(i)
		if a.ID == noID {
			continue
		}
		refs = append(refs, ref{a.ID, int32(i)})
	}
	slices.SortFunc(refs, func(a, b ref) int {
		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	for k := 1; k < len(refs); k++ {
		if refs[k].id == refs[k-1].id {
			anns.at(int(refs[k].i)).reason = codeDuplicate
		}
	}
}

// clip clips the interval [x, x+size) to [0, limit), leaving numbers that need no clipping as they
// are.
func clip(x, size, limit float64) (float64, float64) {
	if x < 0 {
		x, size = 0, size+x
	}
	if x+size > limit {
		size = limit - x
	}
	return x, size
}

// clipSlack is how far, in pixels, a box may reach outside its image before it counts as clipped.
const clipSlack = 1

func (x *Index) checkBox(a *Annotation, skippedImages map[int64]bool, opt LoadOptions) uint8 {
	i, ok := x.imageByID[a.ImageID]
	if !ok {
		if skippedImages[a.ImageID] {
			return codeImageSkipped
		}
		return codeUnknownImage
	}
	if _, ok := x.categoryByID[a.CategoryID]; !ok {
		return codeUnknownCategory
	}
	if a.crowd {
		return codeCrowd
	}
	b := a.BBox
	if !(b.W > 0 && b.H > 0) {
		return codeZeroSize
	}
	im := x.Images[i]
	w, h := float64(im.Width), float64(im.Height)
	x0, bw := clip(b.X, b.W, w)
	y0, bh := clip(b.Y, b.H, h)
	if !(bw > 0 && bh > 0) {
		return codeOutside
	}
	a.Clipped = b.X < -clipSlack || b.Y < -clipSlack || b.X+b.W > w+clipSlack || b.Y+b.H > h+clipSlack
	a.BBox = Box{x0, y0, bw, bh}
	if a.BBox.W < opt.MinSize || a.BBox.H < opt.MinSize {
		return codeTooSmall
	}
	return 0
}

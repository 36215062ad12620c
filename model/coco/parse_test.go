package coco

import (
	"bytes"
	"io"
	"maps"
	"math"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

var (
	im1   = img(1, "a.jpg", 100, 80)
	cat7  = cat(7, "cat")
	goodA = ann(1, 1, 7, "[10,10,50,40]")
)

// parseCase is one instances file and what Parse should make of it. The table feeds TestCOCOParse
// and seeds FuzzLoadAnnotations.
type parseCase struct {
	name string
	text string
	// err, if not empty, is a piece of the error for a file that is unusable as a whole.
	err string
	// images and anns count the usable entries; skipped counts the rest by reason (all kinds
	// merged).
	images, anns int
	skipped      map[string]int
	clipped      int
	// areaNotFinite counts kept boxes whose area is NaN or ±Infinity.
	areaNotFinite int
}

func one(images, anns []string) string { return doc(images, anns, []string{cat7}) }

var parseCases = []parseCase{
	{name: "good", text: one([]string{im1}, []string{goodA}), images: 1, anns: 1},
	{name: "annotations before images", text: `{"annotations":[` + goodA + `],"categories":[` + cat7 +
		`],"type":"instances","images":[` + im1 + `]}`, images: 1, anns: 1},
	{name: "unused keys of every kind", text: `{"info":{"a":[1,{"b":null}],"c":true,"d":-1.5e-3,"e":"\u00e9\n"},` +
		`"images":[{"id":1,"file_name":"a.jpg","width":100,"height":80,"coco_url":"http://x/\"y\"","flickr":[[]]}],` +
		`"annotations":[{"segmentation":{"counts":"abc\\\/","size":[80,100]},"id":1,"image_id":1,"category_id":7,` +
		`"bbox":[10,10,50,40],"iscrowd":false,"extra":{}}],"categories":[{"id":7,"name":"cat","x":[]}]}`,
		images: 1, anns: 1},
	{name: "white space everywhere", text: " \n{ \"images\" :\t[ " + im1 + " ] ,\r\n \"annotations\" : [ " + goodA +
		" ] , \"categories\" : [ " + cat7 + " ] } \n", images: 1, anns: 1},
	{name: "escapes in a file name", text: one([]string{`{"id":1,"file_name":"a\u002ejpg","width":100,"height":80}`},
		[]string{goodA}), images: 1, anns: 1},
	{name: "integral floats as sizes", text: one([]string{`{"id":1,"file_name":"a.jpg","width":100.0,"height":8e1}`},
		[]string{goodA}), images: 1, anns: 1},
	{name: "no annotations key", text: `{"images":[` + im1 + `],"categories":[]}`, images: 1},
	{name: "empty object", text: `{}`},

	// Images.
	{name: "zero width", text: one([]string{img(1, "a.jpg", 0, 80)}, []string{goodA}),
		skipped: map[string]int{ReasonZeroSize: 1, ReasonImageSkipped: 1}},
	{name: "negative height", text: one([]string{img(1, "a.jpg", 100, -80)}, []string{goodA}),
		skipped: map[string]int{ReasonZeroSize: 1, ReasonImageSkipped: 1}},
	{name: "fractional width", text: one([]string{`{"id":1,"file_name":"a.jpg","width":100.5,"height":80}`}, nil),
		skipped: map[string]int{ReasonBadField: 1}},
	{name: "width as a string", text: one([]string{`{"id":1,"file_name":"a.jpg","width":"100","height":80}`}, nil),
		skipped: map[string]int{ReasonBadField: 1}},
	{name: "too many pixels in the JSON", text: one([]string{img(1, "a.jpg", 100000, 100000)}, []string{goodA}),
		skipped: map[string]int{ReasonTooLarge: 1, ReasonImageSkipped: 1}},
	{name: "path with dot-dot", text: one([]string{img(1, "../x.jpg", 100, 80)}, []string{goodA}),
		skipped: map[string]int{ReasonPathEscapes: 1, ReasonImageSkipped: 1}},
	{name: "path with inner dot-dot", text: one([]string{img(1, "a/../../x.jpg", 100, 80)}, nil),
		skipped: map[string]int{ReasonPathEscapes: 1}},
	{name: "absolute path", text: one([]string{img(1, "/etc/passwd", 100, 80)}, nil),
		skipped: map[string]int{ReasonPathEscapes: 1}},
	{name: "backslash path", text: one([]string{img(1, `..\\x.jpg`, 100, 80)}, nil),
		skipped: map[string]int{ReasonPathEscapes: 1}},
	{name: "empty file name", text: one([]string{img(1, "", 100, 80)}, nil),
		skipped: map[string]int{ReasonPathEscapes: 1}},
	{name: "NUL in a file name", text: one([]string{`{"id":1,"file_name":"a\u0000.jpg","width":100,"height":80}`}, nil),
		skipped: map[string]int{ReasonPathEscapes: 1}},
	{name: "sub-folder path is fine", text: one([]string{img(1, "sub/a.jpg", 100, 80)}, []string{goodA}),
		images: 1, anns: 1},
	{name: "duplicate image id", text: one([]string{im1, img(1, "b.jpg", 10, 10)}, []string{goodA}),
		images: 1, anns: 1, skipped: map[string]int{ReasonDuplicateID: 1}},
	{name: "missing file name", text: one([]string{`{"id":1,"width":100,"height":80}`}, []string{goodA}),
		skipped: map[string]int{ReasonMissingField: 1, ReasonImageSkipped: 1}},
	{name: "image id as a string", text: one([]string{`{"id":"1","file_name":"a.jpg","width":100,"height":80}`},
		[]string{goodA}), skipped: map[string]int{ReasonBadField: 1, ReasonUnknownImage: 1}},
	{name: "fractional image id", text: one([]string{`{"id":1.5,"file_name":"a.jpg","width":100,"height":80}`}, nil),
		skipped: map[string]int{ReasonBadID: 1}},
	// Python reads 1e400 as inf, so it counts with the Infinity tokens.
	{name: "image id 1e400", text: one([]string{`{"id":1e400,"file_name":"a.jpg","width":100,"height":80}`}, nil),
		skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "image id beyond int64", text: one([]string{`{"id":123456789012345678901,"file_name":"a.jpg",` +
		`"width":100,"height":80}`}, nil), skipped: map[string]int{ReasonBadID: 1}},
	{name: "image not an object", text: one([]string{`7`, `null`, im1}, []string{goodA}), images: 1, anns: 1,
		skipped: map[string]int{ReasonNotObject: 2}},

	// Annotations.
	{name: "box outside the image", text: one([]string{im1}, []string{ann(1, 1, 7, "[200,200,50,50]")}),
		images: 1, skipped: map[string]int{ReasonOutside: 1}},
	{name: "box partly outside is clipped", text: one([]string{im1}, []string{ann(1, 1, 7, "[-20,-10,70,60]")}),
		images: 1, anns: 1, clipped: 1},
	{name: "box a rounding error outside is not counted as clipped", text: one([]string{im1},
		[]string{ann(1, 1, 7, "[60.5,40,39.6,40.3]")}), images: 1, anns: 1},
	{name: "box too small once clipped", text: one([]string{im1}, []string{ann(1, 1, 7, "[90,10,50,50]")}),
		images: 1, skipped: map[string]int{ReasonTooSmall: 1}},
	{name: "box too small", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,31.9,40]")}),
		images: 1, skipped: map[string]int{ReasonTooSmall: 1}},
	{name: "box of zero height", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,50,0]")}),
		images: 1, skipped: map[string]int{ReasonZeroSize: 1}},
	{name: "box of negative width", text: one([]string{im1}, []string{ann(1, 1, 7, "[60,10,-50,40]")}),
		images: 1, skipped: map[string]int{ReasonZeroSize: 1}},
	{name: "box 1e400", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,1e400,40]")}),
		images: 1, skipped: map[string]int{ReasonNotFinite: 1}},
	{name: "box -1e400", text: one([]string{im1}, []string{ann(1, 1, 7, "[-1E+400,10,50,40]")}),
		images: 1, skipped: map[string]int{ReasonNotFinite: 1}},
	{name: "area 1e999 is counted, the box kept", text: one([]string{im1}, []string{`{"id":1,"image_id":1,` +
		`"category_id":7,"bbox":[10,10,50,40],"area":1e999}`}), images: 1, anns: 1, areaNotFinite: 1},
	// Python's json.dump writes NaN, Infinity and -Infinity for non-finite floats; json.load and
	// pycocotools read them, and so do we.
	{name: "area NaN is counted, the box kept", text: one([]string{im1}, []string{`{"id":1,"image_id":1,` +
		`"category_id":7,"bbox":[10,10,50,40],"area":NaN,"iscrowd":0}`}), images: 1, anns: 1, areaNotFinite: 1},
	{name: "area -Infinity is counted, the box kept", text: one([]string{im1}, []string{`{"id":1,"image_id":1,` +
		`"category_id":7,"bbox":[10,10,50,40],"area":-Infinity}`}), images: 1, anns: 1, areaNotFinite: 1},
	{name: "bbox NaN", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,NaN,50,40]")}),
		images: 1, skipped: map[string]int{ReasonNotFinite: 1}},
	{name: "bbox Infinity", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,Infinity,40]")}),
		images: 1, skipped: map[string]int{ReasonNotFinite: 1}},
	{name: "bbox -Infinity", text: one([]string{im1}, []string{ann(1, 1, 7, "[-Infinity,10,50,40]")}),
		images: 1, skipped: map[string]int{ReasonNotFinite: 1}},
	{name: "annotation id NaN", text: one([]string{im1}, []string{`{"id":NaN,"image_id":1,"category_id":7,` +
		`"bbox":[10,10,50,40]}`, goodA}), images: 1, anns: 1, skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "image_id Infinity", text: one([]string{im1}, []string{`{"id":2,"image_id":Infinity,"category_id":7,` +
		`"bbox":[10,10,50,40]}`}), images: 1, skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "category_id -Infinity", text: one([]string{im1}, []string{`{"id":2,"image_id":1,` +
		`"category_id":-Infinity,"bbox":[10,10,50,40]}`}), images: 1, skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "iscrowd NaN", text: one([]string{im1}, []string{`{"id":2,"image_id":1,"category_id":7,` +
		`"bbox":[10,10,50,40],"iscrowd":NaN}`}), images: 1, skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "image width Infinity", text: one([]string{`{"id":1,"file_name":"a.jpg","width":Infinity,"height":80}`},
		[]string{goodA}), skipped: map[string]int{ReasonNumberNotFinite: 1, ReasonImageSkipped: 1}},
	{name: "image id NaN", text: one([]string{`{"id":NaN,"file_name":"a.jpg","width":100,"height":80}`}, nil),
		skipped: map[string]int{ReasonNumberNotFinite: 1}},
	{name: "category id NaN", text: doc([]string{im1}, []string{goodA}, []string{`{"id":NaN,"name":"cat"}`}),
		images: 1, skipped: map[string]int{ReasonNumberNotFinite: 1, ReasonUnknownCategory: 1}},
	{name: "non-finite tokens in fields and keys that are skipped", text: `{"info":{"a":[NaN,Infinity,-Infinity],` +
		`"b":{"c":-Infinity}},"images":[{"id":1,"file_name":"a.jpg","width":100,"height":80,"x":NaN}],` +
		`"annotations":[{"id":1,"image_id":1,"category_id":7,"bbox":[10,10,50,40],"segmentation":[[NaN,1]]}],` +
		`"categories":[` + cat7 + `]}`, images: 1, anns: 1},
	{name: "tiny numbers are finite", text: one([]string{im1}, []string{ann(1, 1, 7, "[1e-400,10,50,40]")}),
		images: 1, anns: 1},
	{name: "box of 3 numbers", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,50]")}),
		images: 1, skipped: map[string]int{ReasonBadBBox: 1}},
	{name: "box of 5 numbers", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,50,40,1]")}),
		images: 1, skipped: map[string]int{ReasonBadBBox: 1}},
	{name: "box with null", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,null,50,40]")}),
		images: 1, skipped: map[string]int{ReasonBadBBox: 1}},
	{name: "box as a string", text: one([]string{im1}, []string{ann(1, 1, 7, `"10,10,50,40"`)}),
		images: 1, skipped: map[string]int{ReasonBadBBox: 1}},
	{name: "box of nested arrays", text: one([]string{im1}, []string{ann(1, 1, 7, "[[10],10,50,40]")}),
		images: 1, skipped: map[string]int{ReasonBadBBox: 1}},
	{name: "unknown image id", text: one([]string{im1}, []string{ann(1, 2, 7, "[10,10,50,40]")}),
		images: 1, skipped: map[string]int{ReasonUnknownImage: 1}},
	{name: "unknown category id", text: one([]string{im1}, []string{ann(1, 1, 8, "[10,10,50,40]")}),
		images: 1, skipped: map[string]int{ReasonUnknownCategory: 1}},
	{name: "duplicate annotation id", text: one([]string{im1}, []string{goodA, ann(1, 1, 7, "[20,20,50,40]")}),
		images: 1, anns: 1, skipped: map[string]int{ReasonDuplicateID: 1}},
	{name: "duplicate annotation id out of order", text: one([]string{im1}, []string{ann(5, 1, 7, "[1,1,40,40]"),
		ann(2, 1, 7, "[1,1,40,40]"), ann(5, 1, 7, "[1,1,40,40]"), ann(5, 1, 7, "[1,1,40,40]")}),
		images: 1, anns: 2, skipped: map[string]int{ReasonDuplicateID: 2}},
	{name: "crowd", text: one([]string{im1}, []string{`{"id":1,"image_id":1,"category_id":7,"bbox":[10,10,50,40],` +
		`"iscrowd":1,"segmentation":{"counts":[1,2],"size":[80,100]}}`}), images: 1,
		skipped: map[string]int{ReasonCrowd: 1}},
	{name: "crowd as true", text: one([]string{im1}, []string{`{"id":1,"image_id":1,"category_id":7,` +
		`"bbox":[10,10,50,40],"iscrowd":true}`}), images: 1, skipped: map[string]int{ReasonCrowd: 1}},
	{name: "crowd as a string", text: one([]string{im1}, []string{`{"id":1,"image_id":1,"category_id":7,` +
		`"bbox":[10,10,50,40],"iscrowd":"0"}`}), images: 1, skipped: map[string]int{ReasonBadField: 1}},
	{name: "missing bbox", text: one([]string{im1}, []string{`{"id":1,"image_id":1,"category_id":7}`}),
		images: 1, skipped: map[string]int{ReasonMissingField: 1}},
	{name: "annotation id beyond int64", text: one([]string{im1}, []string{ann(1, 1, 7, "[10,10,50,40]"),
		`{"id":99999999999999999999,"image_id":1,"category_id":7,"bbox":[10,10,50,40]}`}),
		images: 1, anns: 1, skipped: map[string]int{ReasonBadID: 1}},
	{name: "large annotation ids as COCO's crowd boxes have", text: one([]string{im1},
		[]string{`{"id":900100259690,"image_id":1,"category_id":7,"bbox":[10,10,50,40]}`}), images: 1, anns: 1},
	{name: "annotation not an object", text: one([]string{im1}, []string{`[1,2]`, `"x"`, goodA}), images: 1,
		anns: 1, skipped: map[string]int{ReasonNotObject: 2}},

	// Categories.
	{name: "duplicate category id", text: doc([]string{im1}, []string{goodA}, []string{cat7, cat(7, "dog")}),
		images: 1, anns: 1, skipped: map[string]int{ReasonDuplicateID: 1}},
	{name: "category without a name", text: doc([]string{im1}, []string{goodA}, []string{`{"id":7}`}),
		images: 1, skipped: map[string]int{ReasonMissingField: 1, ReasonUnknownCategory: 1}},
	{name: "category name not UTF-8", text: doc([]string{im1}, []string{goodA}, []string{"{\"id\":7,\"name\":\"\xff\"}"}),
		images: 1, skipped: map[string]int{ReasonBadField: 1, ReasonUnknownCategory: 1}},

	// Files unusable as a whole.
	{name: "empty file", text: ``, err: "byte 0: unexpected end of file"},
	{name: "only white space", text: " \n", err: "byte 2: unexpected end of file"},
	{name: "top level is an array", text: `[]`, err: "byte 0: the top level is not a JSON object"},
	{name: "truncated", text: one([]string{im1}, []string{goodA})[:60], err: "truncated"},
	{name: "truncated in a string", text: `{"images":[{"file_name":"a.j`, err: "byte 28: unexpected end of file in string"},
	{name: "images is an object", text: `{"images":{}}`, err: `byte 10: "images" is not an array`},
	{name: "annotations is null", text: `{"annotations":null}`, err: `"annotations" is not an array`},
	{name: "categories is a string", text: `{"categories":"x"}`, err: `"categories" is not an array`},
	{name: "trailing data", text: `{} {}`, err: "byte 3: unexpected '{' after the top-level object"},
	{name: "missing comma", text: `{"images":[] "annotations":[]}`, err: "want ',' or '}'"},
	{name: "trailing comma", text: `{"info":[1,2,]}`, err: "byte 13"},
	{name: "nan in lower case", text: `{"images":[{"id":nan}]}`, err: "byte 18: malformed literal, want null"},
	{name: "NaN cut short", text: `{"info":NaX}`, err: "byte 10: malformed number, want NaN"},
	{name: "Infinity cut short", text: `{"info":-Inf}`, err: "byte 12: malformed number, want -Infinity"},
	{name: "Infinity at the end of the file", text: `{"info":Infin`, err: "byte 13: unexpected end of file in number Infinity"},
	{name: "plus Infinity", text: `{"info":+Infinity}`, err: "byte 8: unexpected '+'"},
	{name: "NaN followed by a letter", text: `{"info":NaNa}`, err: "byte 11"},
	{name: "bad literal", text: `{"info":tru}`, err: "malformed literal"},
	{name: "leading zero", text: `{"info":01}`, err: "byte 9"},
	{name: "lone minus", text: `{"info":-}`, err: "malformed number"},
	{name: "bad escape", text: `{"info":"\x"}`, err: "invalid escape"},
	{name: "control character in a string", text: "{\"info\":\"a\tb\"}", err: "control character"},
	{name: "key not a string", text: `{images:[]}`, err: "want a key string"},
	{name: "nested too deep", text: `{"info":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
		err: "nested deeper than"},
	// Issue 17 item 13: a repeated array was merged, where Python keeps the last.
	{name: "repeated images", text: `{"images":[],"categories":[],"images":[]}`, err: `byte 38: a second "images" array`},
	{name: "repeated annotations", text: `{"annotations":[],"annotations":[]}`, err: `a second "annotations" array`},
	{name: "repeated categories", text: `{"categories":[{"id":1,"name":"a"}],"categories":[]}`, err: `a second "categories" array`},
}

// checkInvariants checks what must hold of any index Parse returns.
func checkInvariants(t *testing.T, x *Index, opt LoadOptions) {
	t.Helper()
	opt = opt.WithDefaults()
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	if got := len(x.Images) + sum(x.Skipped.Images); got != x.Entries.Images {
		t.Errorf("%d usable + %d skipped images, but %d entries", len(x.Images), sum(x.Skipped.Images), x.Entries.Images)
	}
	if got := len(x.Annotations) + sum(x.Skipped.Annotations); got != x.Entries.Annotations {
		t.Errorf("%d usable + %d skipped annotations, but %d entries", len(x.Annotations), sum(x.Skipped.Annotations),
			x.Entries.Annotations)
	}
	if got := len(x.Categories) + sum(x.Skipped.Categories); got != x.Entries.Categories {
		t.Errorf("%d usable + %d skipped categories, but %d entries", len(x.Categories), sum(x.Skipped.Categories),
			x.Entries.Categories)
	}
	ids := map[int64]bool{}
	for _, a := range x.Annotations {
		im, ok := x.Image(a.ImageID)
		if _, cok := x.Category(a.CategoryID); !ok || !cok {
			t.Fatalf("annotation %d: image or category missing", a.ID)
		}
		b := a.BBox
		if !(b.X >= 0 && b.Y >= 0 && b.W >= opt.MinSize && b.H >= opt.MinSize && b.W > 0 && b.H > 0 &&
			b.X+b.W <= float64(im.Width) && b.Y+b.H <= float64(im.Height)) {
			t.Fatalf("annotation %d: box %+v in a %d×%d image", a.ID, b, im.Width, im.Height)
		}
		if ids[a.ID] {
			t.Fatalf("annotation id %d twice", a.ID)
		}
		ids[a.ID] = true
	}
	for _, im := range x.Images {
		if im.Width <= 0 || im.Height <= 0 || int64(im.Width)*int64(im.Height) > opt.MaxPixels || !LocalPath(im.FileName) {
			t.Fatalf("image %+v", im)
		}
	}
}

func TestCOCOParse(t *testing.T) {
	offset := regexp.MustCompile(`^coco: test\.json: (reading at )?byte \d+`)
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Parse(strings.NewReader(tc.text), "test.json", LoadOptions{})
			if tc.err != "" {
				if err == nil {
					t.Fatalf("no error, want one with %q", tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) || !offset.MatchString(err.Error()) {
					t.Fatalf("error %q, want one naming the file and the byte offset, with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, x, LoadOptions{})
			if len(x.Images) != tc.images || len(x.Annotations) != tc.anns {
				t.Errorf("%d images and %d annotations, want %d and %d", len(x.Images), len(x.Annotations),
					tc.images, tc.anns)
			}
			want := tc.skipped
			if want == nil {
				want = map[string]int{}
			}
			if got := x.Skipped.Total(); !maps.Equal(got, want) {
				t.Errorf("skipped %v, want %v", got, want)
			}
			if x.Info[InfoClipped] != tc.clipped {
				t.Errorf("clipped %d, want %d", x.Info[InfoClipped], tc.clipped)
			}
			if x.Info[InfoAreaNotFinite] != tc.areaNotFinite {
				t.Errorf("area not finite %d, want %d", x.Info[InfoAreaNotFinite], tc.areaNotFinite)
			}
		})
	}
}

func TestCOCOParseClipsToTheImage(t *testing.T) {
	x, err := Parse(strings.NewReader(one([]string{im1}, []string{ann(1, 1, 7, "[-20,-10,70,60]")})), "t", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := x.Annotations[0].BBox, (Box{0, 0, 50, 50}); got != want || !x.Annotations[0].Clipped {
		t.Errorf("box %+v (clipped %v), want %+v clipped", got, x.Annotations[0].Clipped, want)
	}
}

func TestCOCOParseMinSize(t *testing.T) {
	text := one([]string{im1}, []string{ann(1, 1, 7, "[10,10,5,5]"), ann(2, 1, 7, "[10,10,20,20]")})
	for _, tc := range []struct {
		min  float64
		kept int
	}{{0, 0}, {-1, 2}, {10, 1}, {20, 1}, {20.5, 0}} {
		x, err := Parse(strings.NewReader(text), "t", LoadOptions{MinSize: tc.min})
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Annotations) != tc.kept {
			t.Errorf("MinSize %g: kept %d boxes, want %d", tc.min, len(x.Annotations), tc.kept)
		}
	}
}

// TestCOCOParseAcrossBufferEdges feeds the reader one byte at a time, so that every token straddles
// a refill.
func TestCOCOParseAcrossBufferEdges(t *testing.T) {
	for _, tc := range parseCases {
		x, err := Parse(iotest.OneByteReader(strings.NewReader(tc.text)), "test.json", LoadOptions{})
		if (err != nil) != (tc.err != "") {
			t.Fatalf("%s: error %v", tc.name, err)
		}
		if err == nil {
			y, _ := Parse(strings.NewReader(tc.text), "test.json", LoadOptions{})
			if !maps.Equal(x.Skipped.Total(), y.Skipped.Total()) || len(x.Annotations) != len(y.Annotations) {
				t.Errorf("%s: byte by byte %v, at once %v", tc.name, x.Skipped.Total(), y.Skipped.Total())
			}
		} else if !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: byte by byte: error %q, want %q", tc.name, err, tc.err)
		}
	}
}

func TestCOCOParseReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"images":[`), iotest.ErrReader(io.ErrClosedPipe))
	_, err := Parse(r, "x.json", LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "x.json: reading at byte 11") {
		t.Fatalf("error %v", err)
	}
}

func TestCOCOParseStrings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"a\u00e9b"`, "aéb"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83dx"`, "\ufffdx"},
		{`"\ude00"`, "\ufffd"},
		{`"\ud83d\n"`, "\ufffd\n"},
		{`"\ud83d\ud83d\ude00"`, "\ufffd😀"},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
	} {
		s := newScanner(strings.NewReader(tc.in))
		s.peek()
		got, err := s.str(true)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCOCOParseNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		kind int
	}{
		{"0", 0, valOK}, {"-0", 0, valOK}, {"473.07", 473.07, valOK}, {"1.0799999999999273", 1.0799999999999273, valOK},
		{"1e2", 100, valOK}, {"1E-2", 0.01, valOK}, {"-12.5e+1", -125, valOK}, {"9007199254740993", 9007199254740993, valOK},
		{"0.1234567890123456789012345", 0.1234567890123456789012345, valOK},
		{"1e400", 0, valNotFinite}, {"-1e309", 0, valNotFinite}, {"NaN", 0, valNotFinite}, {"Infinity", 0, valNotFinite},
		{"-Infinity", 0, valNotFinite}, {"1" + strings.Repeat("0", 5000), 0, valNotFinite},
		{`"1"`, 0, valWrongKind}, {"null", 0, valWrongKind}, {"[1]", 0, valWrongKind},
	} {
		s := newScanner(strings.NewReader(tc.in + ","))
		v, kind, err := s.float()
		if err != nil || kind != tc.kind || v != tc.want {
			t.Errorf("%.30s: %v, kind %d, %v; want %v, kind %d", tc.in, v, kind, err, tc.want, tc.kind)
		}
	}
}

func TestCOCOParseCOCO128(t *testing.T) {
	annPath, images := coco128(t)
	x, err := Load(t.Context(), annPath, LoadOptions{ImageDir: images, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, x, LoadOptions{})
	// COCO128: 128 images, 929 boxes, 80 categories, no crowd; 416 boxes are under 32×32 px.
	if x.Entries != (Counts{128, 929, 80}) || len(x.Images) != 128 || len(x.Categories) != 80 {
		t.Errorf("entries %+v, %d images, %d categories", x.Entries, len(x.Images), len(x.Categories))
	}
	if got := x.Skipped.Total(); !maps.Equal(got, map[string]int{ReasonTooSmall: 416}) {
		t.Errorf("skipped %v", got)
	}
	r := x.Report(10)
	if len(r.Kept) != 10 || r.Kept["person"] != 142 || r.Skipped[ReasonNotTopK] != 231 {
		t.Errorf("report %+v", r)
	}
	// The streaming parser agrees with encoding/json on every box.
	var ref struct {
		Annotations []struct {
			ID   int64
			BBox []float64
		}
	}
	if err := decodeJSONFile(annPath, &ref); err != nil {
		t.Fatal(err)
	}
	boxes := map[int64][]float64{}
	for _, a := range ref.Annotations {
		boxes[a.ID] = a.BBox
	}
	for _, a := range x.Annotations {
		b := boxes[a.ID]
		im, _ := x.Image(a.ImageID)
		// Some boxes overshoot the border by a rounding error; they are clipped, but not counted as
		// clipped.
		x0, w := clip(b[0], b[2], float64(im.Width))
		y0, h := clip(b[1], b[3], float64(im.Height))
		if a.Clipped || a.BBox != (Box{x0, y0, w, h}) || math.Abs(w-b[2]) > 0.01 || math.Abs(h-b[3]) > 0.01 {
			t.Fatalf("annotation %d: %+v, encoding/json reads %v", a.ID, a.BBox, b)
		}
	}
}

// FuzzLoadAnnotations checks that no input makes Parse panic, hang or return an index that breaks
// its invariants, and that reading byte by byte gives the same result.
func FuzzLoadAnnotations(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Parse(bytes.NewReader(b), "fuzz.json", LoadOptions{})
		y, err2 := Parse(iotest.OneByteReader(bytes.NewReader(b)), "fuzz.json", LoadOptions{})
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("at once: %v; byte by byte: %v", err, err2)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "coco: fuzz.json: byte ") {
				t.Fatalf("error %q does not name the file and offset", err)
			}
			return
		}
		checkInvariants(t, x, LoadOptions{})
		if !maps.Equal(x.Skipped.Total(), y.Skipped.Total()) || len(x.Annotations) != len(y.Annotations) {
			t.Fatalf("at once %v, byte by byte %v", x.Skipped.Total(), y.Skipped.Total())
		}
	})
}

func TestCOCOParseLongStrings(t *testing.T) {
	long := strings.Repeat("a", maxToken+10) + ".jpg"
	text := one([]string{img(1, long, 100, 80), img(2, strings.Repeat("b", maxToken-4)+".jpg", 100, 80)}, nil)
	x, err := Parse(strings.NewReader(text), "t", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A name longer than the scanner keeps is refused, never cut short into another name.
	if len(x.Images) != 1 || x.Images[0].ID != 2 || x.Skipped.Images[ReasonBadField] != 1 {
		t.Errorf("images %d, skipped %v", len(x.Images), x.Skipped.Images)
	}
	// A long key is skipped with its value.
	if _, err := Parse(strings.NewReader(`{"`+long+`":[1,2]}`), "t", LoadOptions{}); err != nil {
		t.Error(err)
	}
}

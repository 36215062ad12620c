package cropset

import "github.com/deformscope/deformscope/model/coco/internal/cocotest"

// Short names for the shared fixtures, as the tests use them.
var (
	doc          = cocotest.Doc
	img          = cocotest.Img
	cat          = cocotest.Cat
	ann          = cocotest.Ann
	gradient     = cocotest.Gradient
	jpegBytes    = cocotest.JPEG
	writeFixture = cocotest.WriteFixture
	cat7         = cocotest.Cat(7, "cat")
	im1          = cocotest.Img(1, "a.jpg", 100, 80)
)

var (
	coco128     = cocotest.COCO128
	cmykJPEG    = cocotest.CMYKJPEG
	uniform     = cocotest.Uniform
	imageFaults = cocotest.ImageFaults
)

package coco

import "github.com/deformscope/deformscope/model/coco/internal/cocotest"

// Short names for the shared fixtures, as the tables use them.
var (
	coco128        = cocotest.COCO128
	doc            = cocotest.Doc
	img            = cocotest.Img
	cat            = cocotest.Cat
	ann            = cocotest.Ann
	writeFixture   = cocotest.WriteFixture
	decodeJSONFile = cocotest.DecodeJSONFile
)

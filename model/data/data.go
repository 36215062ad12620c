// Package data loads the data sets that deformscope trains and tests on.
//
// MNIST comes from the four standard idx files, raw or gzip-compressed. The reader here is strict:
// it reads the whole (decompressed) file under a size cap first and checks every header field
// against the bytes actually present before it trusts a count, so a corrupt or hostile file gives
// an error that names the file and the fault, never a panic or a huge allocation. [FindMNIST] finds
// the files: the binary's own copy, else the GoMNIST module's.
//
// Scaled-MNIST is the course study's test: the MNIST test set rescaled about the image centre by
// the factors 0.5, 0.6, ..., 1.5 ([DefaultScales]). Two transforms ([ScaleMode]): the course
// study's own, torchvision's nearest-neighbour affine on the normalised tensor with the fill 0 in
// normalised units ([StudyScaleImage], [StudyScaledView]), and bilinear sampling of the raw pixels
// with a black background ([ScaleImage], [ScaledSets]); [ScaledSetsMode] picks one.
//
// A [Set] is the shape the trainer consumes: raw 8-bit pixels in NCHW order, their labels and a
// per-channel normalisation, with helpers that write a normalised float32 batch into caller-owned
// buffers without allocating. Bytes take a quarter of the memory that floats would: the MNIST
// training set and the 11 Scaled-MNIST test sets hold 47 MB and 86 MB.
package data

// Package cropset turns the boxes of a COCO index (package coco) into a classification set of
// square RGB crops, and keeps those crops in a cache file on disk.
//
// [Build] makes a classification set from the kept boxes of the K most frequent categories (class i
// is the i-th most frequent; COCO's category ids, 1..90 with gaps, go through a table, never id-1).
// Each crop is the box's longer side plus a margin of context on each side, squared around the
// box's centre, shrunk to the image's shorter side if larger and moved inside the image (so never
// padded or distorted), then resized to Size×Size RGB with a linear filter. Grey and CMYK JPEGs
// come out as RGB; transparent PNG pixels are composed over black. Each image's size is read from
// its header first and checked against the JSON and the pixel cap before it is decoded. Images are
// decoded in parallel; the crops come out in a fixed order (image id, then annotation id), whatever
// the number of workers. Images, not crops, are split between train, validation and test, by a
// seeded shuffle of their ids, or a second file (val2017) gives the test split.
//
// The resize is imaging.Resize's Linear filter byte for byte (its float64 sums in its order),
// written again here for speed: the YCbCr→RGB rows and both passes run AVX2 assembly where the CPU
// has it (resize_amd64.s, the Go loops' bytes; a build whose compiler fuses multiply-adds keeps
// the Go loops), and the photos are decoded by internal/jpeg, which decodes only the crops'
// regions.
//
// The crops can be cached in one file (magic, version, key, JSON header, raw crops, SHA-256),
// written atomically. The key hashes the annotation files' paths, sizes and modification times, the
// image folders and every option that changes a crop, so the cache is rebuilt when any of them
// changes, and when the file is corrupt.
package cropset

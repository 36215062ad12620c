//go:build embedmnist

package mnistfiles

import (
	"embed"
	"io/fs"
)

// The build fails here when the tag is set but `go generate` has not
// copied the files: a packaged binary never ships without MNIST.
//
//go:embed train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
var embedded embed.FS

var files fs.FS = embedded

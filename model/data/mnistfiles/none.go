//go:build !embedmnist

package mnistfiles

import "io/fs"

// files is nil: this build carries no MNIST.
var files fs.FS

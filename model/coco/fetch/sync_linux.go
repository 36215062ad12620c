package fetch

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncEachFile is false where syncAll makes every file durable in one call.
const syncEachFile = false

// syncAll flushes the file system that holds root: every file Extract wrote, in one syncfs(2).
func syncAll(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
